// The pulse matcher: on the leader, it takes the events the gateway stored, per Channel whose pulse
// is enabled and in seq order, and decides each (event, Channel) once: an Episode made of it (create-
// if-absent by a name from channel and event, so a restart never makes a second), or the reason it
// was not. A Channel's batch is decided inside one transaction that holds the Channel's cursor row
// locked (@acog/db/pulse), so the day's count and the decisions are consistent even if a second
// replica matched at the same time; the decisions and the cursor are committed together after the
// Episodes exist. Killed in between, the next run finds the batch undecided, finds its Episodes by
// name, and records them as made.
import {
  API_VERSION,
  CHANNELS,
  EPISODES,
  GROUP,
  LABELS,
  ORIGIN_LABEL,
  PULSE_EVENT_ANNOTATION,
  PULSE_ORIGIN,
  PULSE_RULE_ANNOTATION,
  VERSION,
  channelTimezone,
  labelValue,
  localDate,
  pulseEpisodeName,
  pulseTopic,
  type Channel,
  type Episode,
} from '@acog/api';
import {
  archivedCoverage,
  followNewestPulseEvent,
  matchPulseChannel,
  pendingPulseProposals,
  type PulseDecision,
  type PulseProposal,
  type StoredPulseEvent,
} from '@acog/db/pulse';
import { findCondition, objectKey, statusCode, type EventRecorder, type Informer, type KubeClients, type Logger } from '@acog/kube';
import type { Database } from '@acog/db';
import type { Clock } from '../schedule/clock.ts';
import type { TopicSource } from '../schedule/topics.ts';
import { Coverage, judgeEvent } from './match.ts';

/** Events decided per Channel and transaction. */
const BATCH = 200;
/** Proposals kept per Channel for the schedule. */
const PROPOSALS = 50;

export interface PulseMatcherDeps {
  clients: KubeClients;
  channels: Informer<Channel>;
  episodes: Informer<Episode>;
  /** The Episodes of a Channel ("namespace/name") come from this index of the Episode cache. */
  channelIndex: string;
  pool: Database['pool'];
  /** Whether the database is migrated (the matcher waits until it is). */
  isMigrated: () => boolean;
  events: EventRecorder;
  log: Logger;
  clock: Clock;
  /** How often the matcher looks for new events (ms). */
  pollMs?: number;
  onDecided?: (outcome: 'created' | 'skipped', reason: string) => void;
}

export class PulseMatcher {
  private readonly deps: PulseMatcherDeps;
  private readonly proposals = new Map<string, PulseProposal[]>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(deps: PulseMatcherDeps) {
    this.deps = deps;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Looks for undecided events now (and again when a look is under way). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.pass()
      .catch((error: Error) => this.deps.log.warn({ error: error.message }, 'pulse matching failed; trying again'))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else this.timer = setTimeout(() => this.wake(), this.deps.pollMs ?? 1000);
      });
  }

  /** The schedule's last source of topics: the best proposal its daily limit held back, not used yet. */
  readonly topics: TopicSource = (channel, used) => {
    if (!channel.spec.pulse?.enabled) return undefined;
    const best = this.proposals.get(objectKey(channel))?.find((proposal) => !used.has(pulseTopic(proposal.title)));
    return best ? pulseTopic(best.title) : undefined;
  };

  /** One look at every Channel. */
  async pass(): Promise<void> {
    if (!this.deps.isMigrated()) return;
    const channels = this.deps.channels.list();
    const off = channels.filter((channel) => !channel.spec.pulse?.enabled && channel.metadata.uid).map((channel) => channel.metadata.uid!);
    await followNewestPulseEvent(this.deps.pool, off);
    for (const channel of channels) {
      if (this.stopped) return;
      if (!channel.spec.pulse?.enabled || channel.metadata.deletionTimestamp || !channel.metadata.uid) continue;
      // A Channel the Channel reconciler has not judged yet waits; one judged not ready is told so.
      if (!findCondition(channel.status?.conditions, 'Ready')) continue;
      let decided = 0;
      for (let more = true; more && !this.stopped;) {
        const batch = await this.matchBatch(channel);
        decided += batch.decided;
        more = batch.more;
      }
      // The proposals change only with new decisions (or a Channel not looked at before).
      const key = objectKey(channel);
      if (decided > 0 || !this.proposals.has(key))
        this.proposals.set(key, await pendingPulseProposals(this.deps.pool, channel.metadata.uid, PROPOSALS));
    }
  }

  /** Decides the Channel's next batch: how many it decided, and whether there may be more. */
  private async matchBatch(channel: Channel): Promise<{ decided: number; more: boolean }> {
    const ref = { uid: channel.metadata.uid!, namespace: channel.metadata.namespace!, name: channel.metadata.name! };
    return matchPulseChannel(this.deps.pool, ref, async (match) => {
      const events = await match.eventsAfter(match.cursor, BATCH);
      if (!events.length) return { decided: 0, more: false };
      const day = localDate(this.deps.clock.now(), channelTimezone(channel.spec));
      const created = await match.createdOn(day);
      const coverage = await this.coverage(channel);
      const ready = findCondition(channel.status?.conditions, 'Ready');
      const decisions: PulseDecision[] = [];
      for (const event of events) {
        const name = pulseEpisodeName(ref.name, event.source, event.id);
        const base = { source: event.source, eventId: event.id, namespace: ref.namespace, channel: ref.name, channelUid: ref.uid, day };
        // Made already (before a restart, or by another replica): that decision was Created.
        const existing = this.deps.episodes.get(`${ref.namespace}/${name}`);
        const verdict = existing ? undefined : judgeEvent(channel.spec.pulse?.rules ?? [], event, created, coverage, day);
        if (verdict?.outcome === 'skip') {
          decisions.push({ ...base, outcome: 'skipped', reason: verdict.reason, message: verdict.message, ruleIndex: verdict.ruleIndex });
          continue;
        }
        if (verdict && ready?.status !== 'True') {
          decisions.push({
            ...base,
            outcome: 'skipped',
            reason: 'ChannelNotReady',
            ruleIndex: verdict.ruleIndex,
            message: `rule ${verdict.ruleIndex} matched, but the Channel is not Ready (${ready?.reason ?? 'Unknown'}: ${ready?.message ?? ''})`,
          });
          continue;
        }
        const episode = existing ?? (await this.createEpisode(channel, name, event, verdict!.ruleIndex, verdict!.requireApproval));
        const ruleIndex = verdict?.ruleIndex ?? ruleOf(episode);
        created.set(ruleIndex, (created.get(ruleIndex) ?? 0) + 1);
        coverage.add(name, episode.spec.topic, [event.url]);
        decisions.push({
          ...base,
          outcome: 'created',
          reason: 'Created',
          ruleIndex,
          episode: name,
          message: verdict?.message ?? `Episode ${name} made of it`,
        });
        this.deps.onDecided?.('created', 'Created');
      }
      await match.record(decisions, events.at(-1)!.seq);
      for (const decision of decisions) if (decision.outcome === 'skipped') this.deps.onDecided?.('skipped', decision.reason);
      this.deps.log.debug({ namespace: ref.namespace, channel: ref.name, decided: decisions.length }, 'pulse events decided');
      return { decided: decisions.length, more: events.length === BATCH };
    });
  }

  /** What the Channel covered: its live Episodes (from the cache) and its archived ones. */
  private async coverage(channel: Channel): Promise<Coverage> {
    const coverage = new Coverage();
    for (const episode of this.deps.episodes.byIndex(this.deps.channelIndex, objectKey(channel)))
      coverage.add(
        episode.metadata.name!,
        episode.spec.topic,
        (episode.spec.references ?? []).map((reference) => reference.url),
      );
    const archived = await archivedCoverage(this.deps.pool, channel.metadata.namespace!, channel.metadata.name!);
    for (const topic of archived.topics) coverage.add('an archived Episode', topic, []);
    coverage.add('an archived Episode', undefined, archived.urls);
    return coverage;
  }

  private async createEpisode(
    channel: Channel,
    name: string,
    event: StoredPulseEvent,
    ruleIndex: number,
    requireApproval: boolean,
  ): Promise<Episode> {
    const namespace = channel.metadata.namespace!;
    const body: Episode = {
      apiVersion: API_VERSION,
      kind: EPISODES.kind,
      metadata: {
        name,
        namespace,
        labels: { [ORIGIN_LABEL]: PULSE_ORIGIN, [LABELS.channel]: labelValue(channel.metadata.name!) },
        annotations: { [PULSE_EVENT_ANNOTATION]: `${event.source}/${event.id}`, [PULSE_RULE_ANNOTATION]: String(ruleIndex) },
        ownerReferences: [
          { apiVersion: API_VERSION, kind: CHANNELS.kind, name: channel.metadata.name!, uid: channel.metadata.uid!, controller: true },
        ],
      },
      spec: {
        channelRef: { name: channel.metadata.name! },
        topic: pulseTopic(event.title),
        ...(event.summary && { brief: event.summary }),
        references: [{ title: event.title, url: event.url }],
        ...(requireApproval && { approvalGates: ['plan'] }),
      },
    };
    const params = { group: GROUP, version: VERSION, plural: EPISODES.plural, namespace };
    try {
      const made = (await this.deps.clients.custom.createNamespacedCustomObject({ ...params, body })) as Episode;
      this.deps.episodes.upsert(made);
      this.deps.events.emit(channel, {
        type: 'Normal',
        reason: 'PulseMatched',
        message: `created Episode ${name} from the pulse event ${event.source}/${event.id} ("${pulseTopic(event.title)}")${
          requireApproval ? '; it waits for approval at plan' : ''
        }`,
      });
      this.deps.log.info(
        { namespace, channel: channel.metadata.name, episode: name, event: `${event.source}/${event.id}` },
        'pulse episode created',
      );
      return made;
    } catch (error) {
      if (statusCode(error) !== 409) throw error;
      return (await this.deps.clients.custom.getNamespacedCustomObject({ ...params, name })) as Episode;
    }
  }
}

/** The rule an Episode was made by (its annotation), for the day's count when its decision is recorded after a restart. */
function ruleOf(episode: Episode): number {
  const index = Number(episode.metadata.annotations?.[PULSE_RULE_ANNOTATION]);
  return Number.isInteger(index) && index >= 0 ? index : -1;
}
