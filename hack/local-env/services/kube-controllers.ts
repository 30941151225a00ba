// kube-controller-manager and kube-scheduler of the local control plane (docs/adr/0027): the
// controllers whose behaviour ACOG relies on, Kubernetes' own, not a reading of them. There is no
// kubelet: the node harness (test/support/node-harness.ts) registers Nodes and runs their Pods.
import { mkdir } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { freePort, startProcess, waitUntil, type ManagedProcess } from '../process.ts';

/**
 * The controllers ACOG depends on and what they need: Jobs and their Pods, garbage collection of
 * owned objects (ownerReference cascades), namespace deletion, Jobs' ttlSecondsAfterFinished, the
 * "default" ServiceAccount the ServiceAccount admission plugin requires of every Pod, and the
 * clean-up of Pods left on a Node that is gone (a stopped harness).
 */
export const CONTROLLERS = [
  'job-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'ttl-after-finished-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'pod-garbage-collector-controller',
] as const;

export interface KubeControllersOptions {
  controllerManagerKubeconfig: string;
  schedulerKubeconfig: string;
  /** The ServiceAccount signing key and the cluster CA, for the token and root-CA controllers. */
  serviceAccountKeyFile: string;
  caFile: string;
  dir: string;
}

export interface KubeControllersService {
  controllerManager: ManagedProcess;
  scheduler: ManagedProcess;
}

/** The component's /healthz on its own serving port (self-signed certificate; always allowed without credentials). */
function healthz(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(`https://127.0.0.1:${port}/healthz`, { rejectUnauthorized: false, timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

export async function startKubeControllers(
  binaries: { kubeControllerManager: string; kubeScheduler: string },
  options: KubeControllersOptions,
): Promise<KubeControllersService> {
  const [managerPort, schedulerPort] = [await freePort(), await freePort()];
  const managerCerts = join(options.dir, 'kube-controller-manager');
  const schedulerCerts = join(options.dir, 'kube-scheduler');
  await Promise.all([mkdir(managerCerts, { recursive: true }), mkdir(schedulerCerts, { recursive: true })]);
  const delegated = (kubeconfig: string) => [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    '--profiling=false',
    '--v=1',
  ];
  const controllerManager = startProcess(
    'kube-controller-manager',
    binaries.kubeControllerManager,
    [
      ...delegated(options.controllerManagerKubeconfig),
      `--secure-port=${managerPort}`,
      `--cert-dir=${managerCerts}`,
      `--controllers=${CONTROLLERS.join(',')}`,
      // Each controller acts as its own ServiceAccount, with the bootstrap RBAC a cluster gives it.
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${options.serviceAccountKeyFile}`,
      `--root-ca-file=${options.caFile}`,
      // The defaults (20/s, bursts of 30) are a small cluster's; tests and the benchmark create
      // hundreds of Jobs a minute, as a production cluster tuned for batch work would allow.
      '--kube-api-qps=100',
      '--kube-api-burst=200',
      // Five Job syncs at a time (the default) made a burst of 200 Episodes wait 14 s at p50 between
      // a Pod's success and its Job's completion, and run the Jobs in the controller's order, not the
      // operator's (bench/README.md).
      '--concurrent-job-syncs=50',
    ],
    join(options.dir, 'kube-controller-manager.log'),
  );
  const scheduler = startProcess(
    'kube-scheduler',
    binaries.kubeScheduler,
    [...delegated(options.schedulerKubeconfig), `--secure-port=${schedulerPort}`, `--cert-dir=${schedulerCerts}`],
    join(options.dir, 'kube-scheduler.log'),
  );
  try {
    await Promise.all([
      waitUntil('kube-controller-manager', () => healthz(managerPort), { process: controllerManager, timeoutMs: 120_000, intervalMs: 300 }),
      waitUntil('kube-scheduler', () => healthz(schedulerPort), { process: scheduler, timeoutMs: 120_000, intervalMs: 300 }),
    ]);
  } catch (error) {
    await Promise.all([controllerManager.stop(), scheduler.stop()]);
    throw error;
  }
  return { controllerManager, scheduler };
}
