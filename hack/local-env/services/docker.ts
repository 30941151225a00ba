import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, startProcess, waitUntil, type ManagedProcess } from '../process.ts';

export interface DockerService {
  /** DOCKER_HOST for clients (testcontainers, the docker CLI). */
  host: string;
  /** Set when this control plane started the engine, which then stops with it. */
  process?: ManagedProcess;
}

const SOCKET = '/var/run/docker.sock';

async function engineAnswers(host: string): Promise<boolean> {
  return run('docker', ['--host', host, 'version', '--format', '{{.Server.Version}}']).then(
    () => true,
    () => false,
  );
}

/** Uses the running Docker engine, or starts Debian's dockerd (root only) when none answers. */
export async function ensureDocker(dir: string): Promise<DockerService> {
  const host = process.env.DOCKER_HOST ?? `unix://${SOCKET}`;
  if (await engineAnswers(host)) return { host };
  if (process.getuid?.() !== 0 || process.env.DOCKER_HOST) {
    throw new Error(`no Docker engine answers at ${host}: start one (sudo dockerd &) or run the tests as root`);
  }
  if (!existsSync('/usr/sbin/dockerd') && !existsSync('/usr/bin/dockerd')) {
    throw new Error('the Docker engine is not installed: apt-get install docker.io (hack/setup.sh does it when run as root)');
  }
  const dockerd = startProcess('dockerd', 'dockerd', ['--host', host], join(dir, 'dockerd.log'));
  await waitUntil('dockerd', () => engineAnswers(host), { process: dockerd, timeoutMs: 60_000, intervalMs: 500 });
  return { host, process: dockerd };
}
