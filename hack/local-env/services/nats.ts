import { join } from 'node:path';
import { freePort, httpOk, startProcess, waitUntil, type ManagedProcess } from '../process.ts';

export interface NatsService {
  url: string;
  monitorUrl: string;
  process: ManagedProcess;
}

export async function startNats(natsServer: string, dir: string): Promise<NatsService> {
  const [port, monitorPort] = [await freePort(), await freePort()];
  const process = startProcess(
    'nats-server',
    natsServer,
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-sd', join(dir, 'nats'), '-n', 'acog-local'],
    join(dir, 'nats.log'),
  );
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  await waitUntil('nats-server', () => httpOk(`${monitorUrl}/healthz?js-enabled-only=true`), { process, timeoutMs: 30_000 });
  return { url: `nats://127.0.0.1:${port}`, monitorUrl, process };
}
