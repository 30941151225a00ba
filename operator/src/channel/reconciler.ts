// The Channel reconciler: the Ready condition (what is missing, exactly) and episode counts by
// phase. Secrets cannot be watched without reading every Secret, so a Channel that is not ready
// is looked at again every minute; a ready one on the informers' resync.
import { isDeepStrictEqual } from 'node:util';
import { budgetMonth, CHANNELS, GROUP, nextMonthStart, VERSION, type Channel, type ChannelStatus, type Episode } from '@acog/api';
import type { AttemptKey } from '@acog/db/ledger';
import {
  setConditions,
  type Informer,
  apiMessage,
  isConflict,
  isForbidden,
  isNotFound,
  type KubeClients,
  type EventRecorder,
  type Logger,
} from '@acog/kube';
import type { LedgerConnection } from '../budget/connection.ts';
import { waitUntil } from '../budget/gate.ts';
import { safeTimezone } from '../budget/timezone.ts';
import { channelReadiness, type Readiness, type SecretLookup } from './readiness.ts';

/** A reservation whose attempt no Episode runs any more is dropped after this long (its Job may be on its way). */
const ABANDONED_RESERVATION_MS = 120_000;

export const CHANNEL_INDEX = 'channel';

export interface ChannelReconcilerDeps {
  clients: KubeClients;
  channels: Informer<Channel>;
  episodes: Informer<Episode>;
  events: EventRecorder;
  log: Logger;
  requeueAfter: (key: string, delayMs: number) => void;
  /** How long a readiness check holds before the Secrets are read again. */
  recheckMs?: number;
  now?: () => Date;
  /** The cost ledger: status.spend comes from it. */
  ledger?: LedgerConnection;
  /** Called with the Channel's key when reservations of abandoned attempts were dropped (budget freed). */
  onBudgetFreed?: (channelKey: string) => void;
}

/** Index value of an Episode: the Channel it names. */
export function episodeChannelIndex(episode: Episode): string[] {
  return [`${episode.metadata.namespace}/${episode.spec.channelRef.name}`];
}

export class ChannelReconciler {
  private readonly deps: ChannelReconcilerDeps;
  private readonly checked = new Map<string, { generation: number | undefined; at: number; readiness: Readiness }>();

  constructor(deps: ChannelReconcilerDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<void> {
    const channel = this.deps.channels.get(key);
    if (!channel) {
      this.checked.delete(key);
      return;
    }
    const recheckMs = this.deps.recheckMs ?? 60_000;
    const readiness = await this.readiness(key, channel, recheckMs);
    const counts = { total: 0, pending: 0, running: 0, awaitingApproval: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (const episode of this.deps.episodes.byIndex(CHANNEL_INDEX, key)) {
      counts.total++;
      const phase = episode.status?.phase ?? 'Pending';
      const field = (phase.charAt(0).toLowerCase() + phase.slice(1)) as keyof typeof counts;
      if (field in counts) counts[field]++;
    }
    const now = this.deps.now?.() ?? new Date();
    const previous: ChannelStatus = channel.status ?? {};
    const spend = await this.spend(key, channel, now);
    const status: ChannelStatus = {
      ...previous,
      ...(spend && { spend }),
      observedGeneration: channel.metadata.generation,
      episodes: counts,
      conditions: setConditions(
        previous.conditions,
        [{ type: 'Ready', status: readiness.ready ? 'True' : 'False', reason: readiness.reason, message: readiness.message }],
        channel.metadata.generation,
        now,
      ),
    };
    if (!readiness.ready) this.deps.requeueAfter(key, recheckMs);
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(previous)), JSON.parse(JSON.stringify(status)))) return;
    try {
      const stored = (await this.deps.clients.custom.replaceNamespacedCustomObjectStatus({
        group: GROUP,
        version: VERSION,
        plural: CHANNELS.plural,
        namespace: channel.metadata.namespace!,
        name: channel.metadata.name!,
        body: { ...channel, status },
      })) as Channel;
      this.deps.channels.upsert(stored);
    } catch (error) {
      if (isConflict(error)) throw new Error(`the Channel ${key} changed meanwhile; reconciling it again`, { cause: error });
      if (isNotFound(error)) return;
      throw error;
    }
    const before = previous.conditions?.find((c) => c.type === 'Ready');
    if (before?.status !== (readiness.ready ? 'True' : 'False') || before?.reason !== readiness.reason) {
      this.deps.events.emit(channel, {
        type: readiness.ready ? 'Normal' : 'Warning',
        reason: readiness.ready ? 'Ready' : readiness.reason,
        message: readiness.message,
      });
      this.deps.log.info(
        { namespace: channel.metadata.namespace, channel: channel.metadata.name, ready: readiness.ready, reason: readiness.reason },
        readiness.message,
      );
    }
  }

  /**
   * This month's spend from the ledger, and the drop of reservations no running attempt holds any
   * more; undefined when the ledger cannot be read (the last figures stay, the next look retries).
   */
  private async spend(key: string, channel: Channel, now: Date): Promise<ChannelStatus['spend'] | undefined> {
    if (!this.deps.ledger) return undefined;
    const timezone = safeTimezone(channel.spec);
    const month = budgetMonth(now, timezone);
    // The figures change when the month turns: look again then.
    this.deps.requeueAfter(key, waitUntil(nextMonthStart(now, timezone), now) + 1_000);
    try {
      const ledger = this.deps.ledger.get();
      const [namespace, name] = key.split('/');
      const running: AttemptKey[] = [];
      for (const episode of this.deps.episodes.byIndex(CHANNEL_INDEX, key))
        for (const entry of episode.status?.stages ?? [])
          if (entry.phase === 'Running' && entry.attempt)
            running.push({ episodeUid: episode.metadata.uid!, stage: entry.name, attempt: entry.attempt });
      if ((await ledger.releaseAbandoned(namespace, name, running, ABANDONED_RESERVATION_MS)) > 0) this.deps.onBudgetFreed?.(key);
      const spend = await ledger.channelSpend(namespace, name, month);
      const limit = channel.spec.budget?.monthlyLimitUSD;
      return { month, actualUSD: spend.actualUSD, reservedUSD: spend.reservedUSD, ...(limit !== undefined && { limitUSD: limit }) };
    } catch (error) {
      this.deps.log.debug(
        { channel: key, error: (error as Error).message },
        'cannot read the spend from the ledger; keeping the last figures',
      );
      this.deps.requeueAfter(key, 30_000);
      return undefined;
    }
  }

  private async readiness(key: string, channel: Channel, recheckMs: number): Promise<Readiness> {
    const cached = this.checked.get(key);
    if (cached && cached.generation === channel.metadata.generation && Date.now() - cached.at < recheckMs) return cached.readiness;
    const namespace = channel.metadata.namespace!;
    const readiness = await channelReadiness(namespace, channel.spec, (secret) => this.lookup(namespace, secret));
    this.checked.set(key, { generation: channel.metadata.generation, at: Date.now(), readiness });
    return readiness;
  }

  private async lookup(namespace: string, name: string): Promise<SecretLookup> {
    try {
      const secret = await this.deps.clients.core.readNamespacedSecret({ namespace, name });
      return { state: 'found', keys: Object.keys({ ...secret.data, ...secret.stringData }) };
    } catch (error) {
      if (isNotFound(error)) return { state: 'missing' };
      if (isForbidden(error)) return { state: 'forbidden' };
      return { state: 'error', message: apiMessage(error) };
    }
  }
}
