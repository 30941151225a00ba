// What each stage depends on, and the hash of it (DESIGN.md: "a spec change after work began re-runs
// only the stages whose inputs changed"). Pure: the operator and `kubectl acog render` share it.
import { createHash } from 'node:crypto';
import type { ChannelSpec, EpisodeSpec, Providers, StageName } from './generated/types.ts';
import { ownScriptBeats, ownScriptOutline } from './own-script.ts';
import { STAGE_DEPENDENCIES, STAGES } from './pipeline.ts';

/** The stages an episode runs: all but those the Channel (when known) or the Episode skips. */
export function activeStages(channel: Pick<ChannelSpec, 'skipStages'> | undefined, episode: Pick<EpisodeSpec, 'overrides'>): StageName[] {
  const skipped = new Set([...(channel?.skipStages ?? []), ...(episode.overrides?.skipStages ?? [])]);
  return STAGES.filter((stage) => !skipped.has(stage));
}

/** What a stage waits for among the stages that run: a skipped dependency hands its own on. */
export function activeDependencies(stage: StageName, active: readonly StageName[]): StageName[] {
  const out = new Set<StageName>();
  const visit = (dependency: StageName) => {
    if (active.includes(dependency)) out.add(dependency);
    else STAGE_DEPENDENCIES[dependency].forEach(visit);
  };
  STAGE_DEPENDENCIES[stage].forEach(visit);
  return STAGES.filter((s) => out.has(s));
}

/** Every stage that runs before this one on some path: the results a stage's input carries. */
export function activeAncestors(stage: StageName, active: readonly StageName[]): StageName[] {
  const out = new Set<StageName>();
  const visit = (s: StageName) =>
    activeDependencies(s, active).forEach((dependency) => {
      if (!out.has(dependency)) {
        out.add(dependency);
        visit(dependency);
      }
    });
  visit(stage);
  return STAGES.filter((s) => out.has(s));
}

/** Approval gates of an episode: the Channel's (when known) and the Episode's. */
export function approvalGates(
  channel: Pick<ChannelSpec, 'approvalGates'> | undefined,
  episode: Pick<EpisodeSpec, 'approvalGates'>,
): Set<StageName> {
  return new Set([...(channel?.approvalGates ?? []), ...(episode.approvalGates ?? [])]);
}

/** A provider's settings that shape its output; which Secret holds the key does not. */
function providerSettings<K extends keyof Providers>(channel: ChannelSpec, episode: EpisodeSpec, capability: K): unknown {
  const spec = episode.overrides?.providers?.[capability] ?? channel.providers?.[capability];
  if (!spec) return null;
  const { secretRef: _secretRef, ...settings } = spec as unknown as Record<string, unknown>;
  return settings;
}

function voiceSpeed(channel: ChannelSpec, episode: EpisodeSpec): number {
  return (episode.overrides?.providers?.voice ?? channel.providers?.voice)?.speed ?? 1;
}

function targetDuration(channel: ChannelSpec, episode: EpisodeSpec): number {
  return episode.overrides?.targetDurationSeconds ?? channel.format.targetDurationSeconds;
}

/** The words per minute the writers assume when the Channel names none (the CRD's default). */
export const DEFAULT_WORDS_PER_MINUTE = 150;

/**
 * What a script is fitted to: the target length and the words per minute it is spoken at (the
 * Channel's pace times the voice's speed), as the writers fit it; a person editing a script at a
 * gate measures their words against the same.
 */
export function scriptPace(channel: ChannelSpec, episode: EpisodeSpec): { targetSeconds: number; wordsPerMinute: number } {
  return {
    targetSeconds: targetDuration(channel, episode),
    wordsPerMinute: (channel.format.wordsPerMinute ?? DEFAULT_WORDS_PER_MINUTE) * voiceSpeed(channel, episode),
  };
}

/** The parts of the Channel and Episode each stage reads itself (upstream results come on top). */
export function stageSpecInputs(stage: StageName, channel: ChannelSpec, episode: EpisodeSpec): unknown {
  const { persona, format } = channel;
  const writing = {
    persona,
    duration: targetDuration(channel, episode),
    wordsPerMinute: format.wordsPerMinute,
    // The writers fit the script to wordsPerMinute × the speed of the voice that will speak it.
    voiceSpeed: voiceSpeed(channel, episode),
    llm: providerSettings(channel, episode, 'llm'),
  };
  // With spec.script no writer is asked for plan, script or refine: they follow the script's
  // outline (and refine the checks it makes); the words spoken are voice's input (ADR 0022).
  const ownScript = ownScriptOutline(episode);
  const ownScriptChecks = {
    bannedTopics: persona.bannedTopics,
    duration: writing.duration,
    wordsPerMinute: writing.wordsPerMinute,
    voiceSpeed: writing.voiceSpeed,
  };
  switch (stage) {
    case 'plan':
      if (ownScript)
        return { ownScript, duration: writing.duration, wordsPerMinute: writing.wordsPerMinute, voiceSpeed: writing.voiceSpeed };
      return { ...writing, topic: episode.topic, brief: episode.brief, keyPoints: episode.keyPoints, references: episode.references };
    case 'script':
      return ownScript ? { ownScript } : writing;
    case 'refine':
      return ownScript ? { ownScript, ...ownScriptChecks } : writing;
    case 'metadata':
      return writing;
    case 'voice':
      return {
        voice: providerSettings(channel, episode, 'voice'),
        language: persona.language,
        // Voice speaks spec.script's words and checks them again, as refine did when it ran.
        ...(episode.script && { narration: ownScriptBeats(episode.script).map((beat) => beat.narration), ...ownScriptChecks }),
      };
    case 'avatar':
      return {
        avatar: providerSettings(channel, episode, 'avatar'),
        aspectRatio: format.aspectRatio,
        layout: format.layout,
        images: format.images,
        brandColor: format.brandColor,
        presenter: persona.name,
      };
    case 'broll':
      return {
        broll: providerSettings(channel, episode, 'broll'),
        aspectRatio: format.aspectRatio,
        images: format.images,
        brandColor: format.brandColor,
        // Beats are timed at the rate the voice speaks.
        wordsPerMinute: format.wordsPerMinute,
        voiceSpeed: voiceSpeed(channel, episode),
        // The title cards' labels ("PART 2", "TEIL 2").
        language: persona.language,
        // The person's own clips and images, shown before any provider is asked.
        media: episode.media,
      };
    case 'assemble':
      return { format: { ...format, targetDurationSeconds: undefined } };
    case 'upload':
      return { publisher: providerSettings(channel, episode, 'publisher'), publish: episode.publish, references: episode.references };
  }
}

/** JSON with sorted keys and no undefined, so equal inputs always hash alike. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The input hash of every active stage: its own spec inputs plus the hashes of the stages it
 * depends on, so a change reaches everything downstream of where it happened, and nothing else.
 */
export function stageInputHashes(channel: ChannelSpec, episode: EpisodeSpec): Partial<Record<StageName, string>> {
  const active = activeStages(channel, episode);
  const hashes: Partial<Record<StageName, string>> = {};
  for (const stage of active) {
    const upstream = Object.fromEntries(activeDependencies(stage, active).map((dependency) => [dependency, hashes[dependency]]));
    const digest = createHash('sha256')
      .update(canonicalJson({ stage, spec: stageSpecInputs(stage, channel, episode), upstream }))
      .digest('hex');
    hashes[stage] = `sha256:${digest}`;
  }
  return hashes;
}
