// Leader election on a real Lease of the local control plane.
import { beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { kubeConfig, uniqueName } from '../../../test/support/env.ts';
import { LeaderElector, microTime } from './leader-election.ts';

const namespace = uniqueName('lease');
const api = () => kubeConfig().makeApiClient(CustomObjectsApi);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: namespace } } });
});

function elector(identity: string, name: string, log: string[]) {
  return new LeaderElector(api(), {
    namespace,
    name,
    identity,
    leaseDurationMs: 1000,
    renewDeadlineMs: 700,
    retryPeriodMs: 150,
    onStartedLeading: () => log.push(`${identity} leads`),
    onStoppedLeading: () => log.push(`${identity} stopped`),
  });
}

describe('LeaderElector', () => {
  it('lets one of two lead, hands over when the leader steps down, and records the transition', async () => {
    const log: string[] = [];
    const a = elector('a', 'handover', log);
    const b = elector('b', 'handover', log);
    a.start();
    await sleep(300);
    b.start();
    await sleep(1500);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    await a.stop();
    const deadline = Date.now() + 3000;
    while (!b.isLeader() && Date.now() < deadline) await sleep(50);
    expect(b.isLeader()).toBe(true);
    const lease = (await api().getNamespacedCustomObject({
      group: 'coordination.k8s.io',
      version: 'v1',
      plural: 'leases',
      namespace,
      name: 'handover',
    })) as {
      spec: { holderIdentity: string; leaseTransitions: number; renewTime: string };
    };
    expect(lease.spec.holderIdentity).toBe('b');
    expect(lease.spec.leaseTransitions).toBe(1);
    expect(lease.spec.renewTime).toMatch(/\.\d{6}Z$/);
    expect(log).toEqual(['a leads', 'b leads']);
    await b.stop();
  });

  it('takes over a lease whose holder stopped renewing, only after the lease duration', async () => {
    const log: string[] = [];
    const ghost = elector('ghost', 'expiry', log);
    ghost.start();
    await sleep(300);
    // The holder dies without giving the lease up: stop its timer by stopping it without a handover.
    (ghost as unknown as { stopped: boolean }).stopped = true;
    (ghost as unknown as { leading: boolean }).leading = false;
    const started = Date.now();
    const heir = elector('heir', 'expiry', log);
    heir.start();
    while (!heir.isLeader()) await sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    await heir.stop();
  });

  it('microTime has six fractional digits, as MicroTime needs', () => {
    expect(microTime(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05.678000Z');
  });
});
