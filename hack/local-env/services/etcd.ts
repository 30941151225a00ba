import { join } from 'node:path';
import { freePort, httpOk, startProcess, waitUntil, type ManagedProcess } from '../process.ts';

export interface EtcdService {
  url: string;
  process: ManagedProcess;
}

export async function startEtcd(etcd: string, dir: string): Promise<EtcdService> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const process = startProcess(
    'etcd',
    etcd,
    [
      '--name=acog',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=acog=${peer}`,
      '--unsafe-no-fsync',
    ],
    join(dir, 'etcd.log'),
  );
  await waitUntil('etcd', () => httpOk(`${url}/health`), { process, timeoutMs: 30_000 });
  return { url, process };
}
