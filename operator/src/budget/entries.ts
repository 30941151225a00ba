// Which finished attempts of an Episode belong in the cost ledger, and what each row says. Pure:
// the outcomes this reconcile found (result.json, the truth) come first; the Episode's status
// fills in what an earlier write missed (the operator died or PostgreSQL was down in between).
import { budgetMonth, stageProvider, type Channel, type Episode, type EpisodeStatus, type StageName } from '@acog/api';
import type { AttemptKey, LedgerEntry } from '@acog/db/ledger';
import type { AttemptOutcome } from '../episode/planner.ts';

function definedNumbers(usage: Record<string, number | undefined> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(usage ?? {}).filter((pair): pair is [string, number] => typeof pair[1] === 'number'));
}

export const attemptKey = (key: AttemptKey): string => `${key.episodeUid}/${key.stage}/${key.attempt}`;

/** An attempt the status says has finished, whose row cannot be built from status alone. */
export interface UnresolvedAttempt {
  stage: StageName;
  attempt: number;
}

export interface LedgerPlan {
  entries: LedgerEntry[];
  /** Earlier attempts of a stage whose outcome only result.json can tell (or its absence: a failure). */
  unresolved: UnresolvedAttempt[];
}

export function modelOf(stage: StageName, channel: Channel | undefined, episode: Episode): string | undefined {
  if (!channel) return undefined;
  const settings = stageProvider(stage, channel.spec, episode.spec) as { model?: string; planModel?: string } | undefined;
  return (stage === 'plan' ? settings?.planModel : undefined) ?? settings?.model;
}

export function providerOf(stage: StageName, channel: Channel | undefined, episode: Episode): string {
  if (stage === 'assemble') return 'ffmpeg';
  return (channel && (stageProvider(stage, channel.spec, episode.spec) as { provider?: string } | undefined)?.provider) ?? 'unknown';
}

export function entryBase(episode: Episode, timezone: string) {
  const { namespace, name, uid } = episode.metadata as { namespace: string; name: string; uid: string };
  return (stage: StageName, attempt: number, finishedAt: Date) => ({
    namespace,
    channel: episode.spec.channelRef.name,
    episode: name,
    episodeUid: uid,
    stage,
    attempt,
    finishedAt,
    month: budgetMonth(finishedAt, timezone),
  });
}

/**
 * The rows to write: every finished attempt not in `recorded`. From this reconcile's outcomes when
 * it has them; else from status: the current attempt of a stage that succeeded (its result is in
 * status) or failed; earlier attempts are returned as unresolved for the caller to look up.
 */
export function ledgerPlan(input: {
  episode: Episode;
  channel: Channel | undefined;
  timezone: string;
  status: EpisodeStatus;
  outcomes: readonly AttemptOutcome[];
  recorded: ReadonlySet<string>;
}): LedgerPlan {
  const { episode, channel, status, outcomes, recorded } = input;
  const uid = episode.metadata.uid!;
  const base = entryBase(episode, input.timezone);
  const entries: LedgerEntry[] = [];
  const unresolved: UnresolvedAttempt[] = [];
  const planned = new Set<string>();
  const add = (entry: LedgerEntry) => {
    const key = attemptKey(entry);
    if (recorded.has(key) || planned.has(key)) return;
    planned.add(key);
    entries.push(entry);
  };

  for (const outcome of outcomes) {
    const { stage, attempt } = outcome;
    if (outcome.result) {
      const result = outcome.result;
      add({
        ...base(stage, attempt, new Date(result.finishedAt)),
        outcome: 'Succeeded',
        provider: result.provider,
        model: modelOf(stage, channel, episode),
        usage: result.usage,
        costUSD: result.costUSD,
      });
    } else {
      add({
        ...base(stage, attempt, outcome.at),
        outcome: 'Failed',
        provider: providerOf(stage, channel, episode),
        model: modelOf(stage, channel, episode),
        usage: {},
        costUSD: 0,
      });
    }
  }

  for (const entry of status.stages ?? []) {
    const current = entry.attempt ?? 0;
    if (!current) continue;
    const isRecorded = (attempt: number) => {
      const key = attemptKey({ episodeUid: uid, stage: entry.name, attempt });
      return recorded.has(key) || planned.has(key);
    };
    // A stage that succeeded carries its result in status; any other phase but Running has ended
    // an attempt whose outcome result.json tells (a success kept across a later gate or wait, or a
    // failure), as it does for every earlier attempt.
    if (entry.phase === 'Succeeded' && !isRecorded(current))
      add({
        ...base(entry.name, current, new Date(entry.finishedAt ?? episode.metadata.creationTimestamp ?? 0)),
        outcome: 'Succeeded',
        provider: entry.provider ?? providerOf(entry.name, channel, episode),
        model: modelOf(entry.name, channel, episode),
        usage: definedNumbers(entry.usage),
        costUSD: entry.costUSD ?? 0,
      });
    const last = entry.phase === 'Running' || entry.phase === 'Succeeded' ? current - 1 : current;
    for (let attempt = 1; attempt <= last; attempt++) if (!isRecorded(attempt)) unresolved.push({ stage: entry.name, attempt });
  }
  return { entries, unresolved };
}
