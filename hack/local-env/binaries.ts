// Finds the server binaries of the local control plane, building the Go ones from the module
// proxy once per machine (docs/adr/0002). Built binaries live in the cache, never in the repo.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { repoRoot } from '../paths.ts';
import { run } from './process.ts';

export interface Binaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  minio: string;
  natsServer: string;
  postgresBin: string;
}

export function cacheDir(): string {
  return process.env.ACOG_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'acog');
}

function onPath(name: string, extra: string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extra]) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function goModuleVersion(toolDir: string, module: string): Promise<string> {
  const goMod = await readFile(join(repoRoot, 'hack', 'tools', toolDir, 'go.mod'), 'utf8');
  const match = new RegExp(`^\\s*(?:require\\s+)?${module.replace(/\./g, '\\.')}\\s+(\\S+)`, 'm').exec(goMod);
  if (!match) throw new Error(`hack/tools/${toolDir}/go.mod does not require ${module}`);
  return match[1];
}

/** Builds `pkg` of the Go module in hack/tools/<toolDir> into the cache, unless it is there already. */
async function goBuilt(
  toolDir: string,
  module: string,
  pkg: string,
  binary: string,
  log: (line: string) => void,
  ldflags: (version: string) => string[] = () => [],
): Promise<string> {
  const version = await goModuleVersion(toolDir, module);
  const target = join(cacheDir(), 'bin', `${binary}-${version}`);
  if (existsSync(target)) return target;
  const go = onPath('go', ['/usr/local/go/bin']);
  if (!go) throw new Error(`${binary} ${version} is not built and Go is not installed: install Go 1.26 or set KUBEBUILDER_ASSETS`);
  await mkdir(join(cacheDir(), 'bin'), { recursive: true });
  // Several processes (vitest workers, a developer's shell) may want the same tool at once: one builds, the others wait.
  const release = await buildLock(target, binary, log);
  try {
    if (existsSync(target)) return target;
    log(`building ${binary} ${version} from the Go module proxy (once per machine; several minutes on 2 cores)`);
    const started = Date.now();
    const partial = `${target}.partial-${process.pid}`;
    await run(go, ['build', '-trimpath', `-ldflags=${['-s', '-w', ...ldflags(version)].join(' ')}`, '-o', partial, pkg], {
      cwd: join(repoRoot, 'hack', 'tools', toolDir),
      env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
    });
    await rename(partial, target);
    log(`built ${binary} in ${Math.round((Date.now() - started) / 1000)}s`);
    return target;
  } finally {
    await release();
  }
}

/** A lock folder beside the target; one left by a process that died (older than an hour) is taken over. */
async function buildLock(target: string, binary: string, log: (line: string) => void): Promise<() => Promise<void>> {
  const lock = `${target}.lock`;
  let announced = false;
  for (;;) {
    try {
      await mkdir(lock);
      return () => rm(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const since = await stat(lock).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (since > 3_600_000) {
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (!announced) log(`waiting for another process that is building ${binary}`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function postgresBinDir(): Promise<string> {
  if (process.env.ACOG_POSTGRES_BIN) return process.env.ACOG_POSTGRES_BIN;
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest && existsSync(join('/usr/lib/postgresql', newest, 'bin', 'postgres'))) return join('/usr/lib/postgresql', newest, 'bin');
  const initdb = onPath('initdb');
  if (initdb) return join(initdb, '..');
  throw new Error('PostgreSQL is not installed: apt-get install postgresql (hack/setup.sh does it when run as root)');
}

/** What `make` would stamp into Kubernetes binaries, so that `kubectl version` tells the truth. */
function kubernetesVersionFlags(version: string): string[] {
  const [major, minor] = version.replace(/^v/, '').split('.');
  const pkg = 'k8s.io/component-base/version';
  return [`-X ${pkg}.gitVersion=${version}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`, `-X ${pkg}.gitTreeState=clean`];
}

export async function findBinaries(log: (line: string) => void = console.error): Promise<Binaries> {
  const assets = process.env.KUBEBUILDER_ASSETS;
  const fromAssets = (name: string) => (assets && existsSync(join(assets, name)) ? join(assets, name) : undefined);
  // The Kubernetes binaries come from one module; build them one after the other to spare the CPUs.
  const kubeApiserver =
    fromAssets('kube-apiserver') ??
    (await goBuilt(
      'kubernetes',
      'k8s.io/kubernetes',
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'kube-apiserver',
      log,
      kubernetesVersionFlags,
    ));
  const kubectl =
    fromAssets('kubectl') ??
    (await goBuilt('kubernetes', 'k8s.io/kubernetes', 'k8s.io/kubernetes/cmd/kubectl', 'kubectl', log, kubernetesVersionFlags));
  // Same module, flags and Go build cache as kube-apiserver: only the packages it does not share are compiled.
  const kubeControllerManager =
    fromAssets('kube-controller-manager') ??
    (await goBuilt(
      'kubernetes',
      'k8s.io/kubernetes',
      'k8s.io/kubernetes/cmd/kube-controller-manager',
      'kube-controller-manager',
      log,
      kubernetesVersionFlags,
    ));
  const kubeScheduler =
    fromAssets('kube-scheduler') ??
    (await goBuilt(
      'kubernetes',
      'k8s.io/kubernetes',
      'k8s.io/kubernetes/cmd/kube-scheduler',
      'kube-scheduler',
      log,
      kubernetesVersionFlags,
    ));
  const minio = process.env.ACOG_MINIO ?? (await goBuilt('minio', 'github.com/minio/minio', 'github.com/minio/minio', 'minio', log));
  const etcd = fromAssets('etcd') ?? onPath('etcd');
  if (!etcd) throw new Error('etcd is not installed: apt-get install etcd-server (hack/setup.sh does it when run as root)');
  const natsServer = onPath('nats-server', ['/usr/sbin']);
  if (!natsServer) throw new Error('nats-server is not installed: apt-get install nats-server (hack/setup.sh does it when run as root)');
  return { etcd, kubeApiserver, kubeControllerManager, kubeScheduler, kubectl, minio, natsServer, postgresBin: await postgresBinDir() };
}

/** The chart's tools: helm and kube-score. Not part of the control plane, so built only when first asked for. */
export interface ChartTools {
  helm: string;
  kubeScore: string;
}

/** helm's own build stamps its version, so that `helm version` tells the truth. */
function helmVersionFlags(version: string): string[] {
  const pkg = 'helm.sh/helm/v4/internal/version';
  return [`-X ${pkg}.version=${version}`, `-X ${pkg}.gitTreeState=clean`];
}

export async function findChartTools(log: (line: string) => void = console.error): Promise<ChartTools> {
  const helm =
    process.env.ACOG_HELM ?? (await goBuilt('helm', 'helm.sh/helm/v4', 'helm.sh/helm/v4/cmd/helm', 'helm', log, helmVersionFlags));
  const kubeScore =
    process.env.ACOG_KUBE_SCORE ??
    (await goBuilt('kube-score', 'github.com/zegl/kube-score', 'github.com/zegl/kube-score/cmd/kube-score', 'kube-score', log, (v) => [
      `-X main.version=${v}`,
    ]));
  return { helm, kubeScore };
}

/**
 * hack/tools/minio-admin: MinIO's admin API (users, policies) for the tenancy tests, through madmin-go.
 * Cached by madmin-go's version and a hash of the tool's source, so that an edit of main.go rebuilds it.
 */
export async function findMinioAdmin(log: (line: string) => void = console.error): Promise<string> {
  if (process.env.ACOG_MINIO_ADMIN) return process.env.ACOG_MINIO_ADMIN;
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(await readFile(join(repoRoot, 'hack', 'tools', 'minio-admin', file)));
  const binary = `minio-admin-${hash.digest('hex').slice(0, 12)}`;
  return goBuilt('minio-admin', 'github.com/minio/madmin-go/v3', '.', binary, log);
}
