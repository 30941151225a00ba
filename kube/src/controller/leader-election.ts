// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: the
// leader renews the lease every retry period; a candidate takes it once it has gone unrenewed for
// the lease duration; a leader that cannot renew within the renew deadline stops leading (and the
// process exits, so that no two replicas ever act at once).
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { isConflict, isNotFound } from '../client/errors.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  onNewLeader?: (identity: string) => void;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const LEASES = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' };

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private readonly api: CustomObjectsApi;
  private readonly options: LeaderElectionOptions;
  private leading = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private lastRenew = 0;
  private observed?: { holder?: string; renewTime?: string; seenAt: number };

  constructor(api: CustomObjectsApi, options: LeaderElectionOptions) {
    this.api = api;
    this.options = options;
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** Gives the lease up (so a successor takes over at once) and stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.read();
      if (lease?.spec.holderIdentity === this.options.identity) {
        lease.spec = { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: microTime(new Date()) };
        await this.api.replaceNamespacedCustomObject({
          ...LEASES,
          namespace: this.options.namespace,
          name: this.options.name,
          body: lease,
        });
      }
    } catch {
      // The lease expires by itself.
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.options.retryPeriodMs);
    this.timer.unref();
  }

  private async read(): Promise<Lease | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({
        ...LEASES,
        namespace: this.options.namespace,
        name: this.options.name,
      })) as Lease;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async tick(): Promise<void> {
    try {
      const acquired = await this.tryAcquireOrRenew();
      if (acquired) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.options.log?.('became the leader', { lease: `${this.options.namespace}/${this.options.name}` });
          this.options.onStartedLeading();
        }
      }
    } catch (error) {
      this.options.log?.('lease request failed', { error: (error as Error).message });
    }
    if (this.leading && Date.now() - this.lastRenew > this.options.renewDeadlineMs) {
      this.leading = false;
      this.options.log?.('lost the lease: could not renew it in time');
      this.options.onStoppedLeading();
      return;
    }
    this.schedule();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const { namespace, name, identity } = this.options;
    const durationSeconds = Math.ceil(this.options.leaseDurationMs / 1000);
    const lease = await this.read();
    if (!lease) {
      const body: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0,
        },
      };
      try {
        await this.api.createNamespacedCustomObject({ ...LEASES, namespace, body });
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    }
    const holder = lease.spec.holderIdentity;
    // Expiry is judged by our own clock since we last saw the lease change, as client-go does,
    // so that clock skew between replicas does not matter.
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== lease.spec.renewTime) {
      this.observed = { holder, renewTime: lease.spec.renewTime, seenAt: Date.now() };
      if (holder && holder !== identity) this.options.onNewLeader?.(holder);
    }
    const leaseMs = (lease.spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    const heldByOther = holder && holder !== identity && Date.now() - this.observed.seenAt < leaseMs;
    if (heldByOther) return false;
    const takingOver = holder !== identity;
    lease.spec = {
      ...lease.spec,
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(now),
      acquireTime: takingOver ? microTime(now) : lease.spec.acquireTime,
      leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (takingOver ? 1 : 0),
    };
    try {
      await this.api.replaceNamespacedCustomObject({ ...LEASES, namespace, name, body: lease });
      this.observed = { holder: identity, renewTime: lease.spec.renewTime, seenAt: Date.now() };
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }
}
