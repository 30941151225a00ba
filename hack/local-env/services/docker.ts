import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { run, waitUntil } from '../process.ts';

export interface DockerService {
  /** DOCKER_HOST for clients (testcontainers, the docker CLI). */
  host: string;
}

/** Where a dockerd started here logs, as hack/setup.sh's does. */
const DOCKERD_LOG = '/tmp/acog-dockerd.log';

const SOCKET = '/var/run/docker.sock';

async function engineAnswers(host: string): Promise<boolean> {
  return run('docker', ['--host', host, 'version', '--format', '{{.Server.Version}}']).then(
    () => true,
    () => false,
  );
}

/**
 * Uses the running Docker engine, or starts Debian's dockerd (root only) when none answers, as
 * hack/setup.sh does. The engine is the machine's, not this control plane's: it is left running
 * at the end, since another test run or build on the machine may be using it by then (stopping it
 * failed another run's image tests).
 */
export async function ensureDocker(): Promise<DockerService> {
  const host = process.env.DOCKER_HOST ?? `unix://${SOCKET}`;
  if (await engineAnswers(host)) return { host };
  if (process.getuid?.() !== 0 || process.env.DOCKER_HOST) {
    throw new Error(`no Docker engine answers at ${host}: start one (sudo dockerd &) or run the tests as root`);
  }
  if (!existsSync('/usr/sbin/dockerd') && !existsSync('/usr/bin/dockerd')) {
    throw new Error('the Docker engine is not installed: apt-get install docker.io (hack/setup.sh does it when run as root)');
  }
  const log = openSync(DOCKERD_LOG, 'a');
  const dockerd = spawn('dockerd', ['--host', host], { detached: true, stdio: ['ignore', log, log] });
  dockerd.unref();
  await waitUntil('dockerd', () => engineAnswers(host), { timeoutMs: 60_000, intervalMs: 500 }).catch((error: Error) => {
    throw new Error(`${error.message} (its log: ${DOCKERD_LOG})`);
  });
  return { host };
}
