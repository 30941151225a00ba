// The local control plane: a real kube-apiserver with etcd, kube-controller-manager and
// kube-scheduler (no kubelet: test/support/node-harness.ts plays the nodes), NATS with JetStream, a MinIO S3
// server, PostgreSQL and the Docker engine, on loopback with free ports, for tests and development.
// Each start gets its own folder and ports, so parallel runs do not collide.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../paths.ts';
import { findBinaries, type Binaries } from './binaries.ts';
import { run, type ManagedProcess } from './process.ts';
import { ensureDocker } from './services/docker.ts';
import { startEtcd } from './services/etcd.ts';
import { certificateContext, startKubeApiserver, USERS, type KubeContext, type UserRole } from './services/kube-apiserver.ts';
import { startKubeControllers } from './services/kube-controllers.ts';
import { startMinio } from './services/minio.ts';
import { startNats } from './services/nats.ts';
import { startPostgres } from './services/postgres.ts';

export { certificateContext, USERS, type KubeContext, type UserRole };

/** What a test or a developer needs to reach the control plane; serialisable. */
export interface LocalEnvInfo {
  dir: string;
  kubernetes: {
    server: string;
    caData: string;
    kubeconfig: string;
    tokens: Record<UserRole, string>;
    users: typeof USERS;
    serviceAccountIssuer: string;
  };
  /** etcd behind the API server; tests use it to compact history (and so provoke 410 Gone). */
  etcd: { url: string };
  nats: { url: string; monitorUrl: string };
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; buckets: string[] };
  postgres: { url: string };
  docker: { host: string };
  binaries: Binaries;
}

export interface LocalEnv extends LocalEnvInfo {
  stop(): Promise<void>;
}

export interface LocalEnvOptions {
  /** Progress lines; stderr by default. */
  log?: (line: string) => void;
  /** Keep the folder (logs, data) after stop; also ACOG_KEEP_ENV=1. */
  keep?: boolean;
}

export async function startLocalEnv(options: LocalEnvOptions = {}): Promise<LocalEnv> {
  const log = options.log ?? ((line: string) => console.error(`[local-env] ${line}`));
  const binaries = await findBinaries(log);
  const dir = await mkdtemp(join(tmpdir(), 'acog-env-'));
  const processes: ManagedProcess[] = [];
  const keep = options.keep ?? process.env.ACOG_KEEP_ENV === '1';

  const stop = async () => {
    for (const managed of processes.reverse()) await managed.stop();
    if (!keep) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  const killOnExit = () => {
    for (const managed of processes) managed.child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  try {
    const started = Date.now();
    log(`starting in ${dir}`);
    const track = <T extends { process: ManagedProcess }>(service: T): T => {
      processes.push(service.process);
      return service;
    };
    // etcd and the API server one after the other; the rest in parallel with them.
    let etcdUrl = '';
    const kubernetesReady = (async () => {
      const etcd = track(await startEtcd(binaries.etcd, dir));
      etcdUrl = etcd.url;
      return track(await startKubeApiserver(binaries.kubeApiserver, etcd.url, dir));
    })();
    const [apiserver, nats, s3, postgres, docker] = await Promise.all([
      kubernetesReady,
      startNats(binaries.natsServer, dir).then(track),
      startMinio(binaries.minio, dir).then(track),
      startPostgres(binaries.postgresBin, dir).then(track),
      ensureDocker(),
    ]);

    const kubectl = (...args: string[]) => run(binaries.kubectl, ['--kubeconfig', apiserver.kubeconfig, ...args]);
    await kubectl('apply', '--server-side', '-f', join(repoRoot, 'hack', 'local-env', 'rbac.yaml'));
    await kubectl('apply', '--server-side', '-f', join(repoRoot, 'crds'));
    await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/channels.acog.dev', 'crd/episodes.acog.dev');
    // After the CRDs, so that the garbage collector's first discovery already knows Episodes.
    const controllers = await startKubeControllers(binaries, {
      controllerManagerKubeconfig: apiserver.componentKubeconfigs.controllerManager,
      schedulerKubeconfig: apiserver.componentKubeconfigs.scheduler,
      serviceAccountKeyFile: apiserver.serviceAccountKeyFile,
      caFile: apiserver.caFile,
      dir,
    });
    processes.push(controllers.controllerManager, controllers.scheduler);
    log(
      `ready in ${((Date.now() - started) / 1000).toFixed(1)}s: kube-apiserver ${apiserver.server} with kube-controller-manager and kube-scheduler, NATS ${nats.url}, S3 ${s3.endpoint}, Postgres 127.0.0.1`,
    );

    const info: LocalEnvInfo = {
      dir,
      kubernetes: {
        server: apiserver.server,
        caData: apiserver.caData,
        kubeconfig: apiserver.kubeconfig,
        tokens: apiserver.tokens,
        users: USERS,
        serviceAccountIssuer: apiserver.serviceAccountIssuer,
      },
      etcd: { url: etcdUrl },
      nats: { url: nats.url, monitorUrl: nats.monitorUrl },
      s3: {
        endpoint: s3.endpoint,
        region: s3.region,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
        buckets: s3.buckets,
      },
      postgres: { url: postgres.url },
      docker: { host: docker.host },
      binaries,
    };
    await writeFile(join(dir, 'env.json'), JSON.stringify(info, null, 2), { mode: 0o600 });
    return {
      ...info,
      async stop() {
        process.removeListener('exit', killOnExit);
        await stop();
      },
    };
  } catch (error) {
    await stop().catch(() => undefined);
    process.removeListener('exit', killOnExit);
    throw error;
  }
}

/** Environment variables that point the ACOG parts and ordinary tools at the control plane. */
export function envVars(info: LocalEnvInfo): Record<string, string> {
  return {
    KUBECONFIG: info.kubernetes.kubeconfig,
    ACOG_NATS_URL: info.nats.url,
    ACOG_S3_ENDPOINT: info.s3.endpoint,
    AWS_REGION: info.s3.region,
    AWS_ACCESS_KEY_ID: info.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: info.s3.secretAccessKey,
    ACOG_DATABASE_URL: info.postgres.url,
    DOCKER_HOST: info.docker.host,
    TESTCONTAINERS_RYUK_DISABLED: 'true',
  };
}
