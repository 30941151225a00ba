// `kubectl acog render`: the embedded default. The same manifests a cluster takes, run by the same
// stage code as the runner Jobs, on this machine, artifacts on the local disk.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CAPABILITIES, activeStages, approvalGates, writerLanguageProblem, type Channel, type Episode, type Providers } from '@acog/api';
import { modelNotices } from '@acog/api/catalog';
import { PipelineFailure, runPipeline, type PipelineResult } from '@acog/runners';
import { LocalArtifactStore } from '@acog/store/local';
import { loadManifests, ManifestError } from '../manifests/load.ts';
import { createProgressDisplay } from './progress.ts';

export interface RenderOptions {
  files: string[];
  out: string;
  episode?: string;
  concurrency?: number;
  stderr: NodeJS.WriteStream;
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
}

export interface RenderSummary {
  episode: string;
  folder: string;
  files: string[];
  pipeline: PipelineResult;
  seconds: number;
}

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

function pick(channels: Channel[], episodes: Episode[], wanted?: string): { channel: Channel; episode: Episode } {
  if (episodes.length === 0) throw new RenderError('no Episode in the given files: add one with -f episode.yaml');
  const episode = wanted ? episodes.find((e) => e.metadata.name === wanted) : episodes.length === 1 ? episodes[0] : undefined;
  if (!episode) {
    const names = episodes.map((e) => e.metadata.name).join(', ');
    throw new RenderError(
      wanted
        ? `no Episode named ${wanted}; the files hold: ${names}`
        : `the files hold several Episodes (${names}): choose one with --episode`,
    );
  }
  const channel = channels.find((c) => c.metadata.name === episode.spec.channelRef.name);
  if (!channel) {
    const names = channels.map((c) => c.metadata.name).join(', ') || 'none';
    throw new RenderError(
      `Episode ${episode.metadata.name} names Channel ${episode.spec.channelRef.name}, which is not in the given files (Channels found: ${names}): add it with -f channel.yaml`,
    );
  }
  return { channel, episode };
}

function onPath(command: string, env: Record<string, string | undefined>): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

/** The programs the chosen providers need on this machine. */
function missingPrograms(channel: Channel, episode: Episode, env: Record<string, string | undefined>): string[] {
  const needed = ['ffmpeg', 'ffprobe'];
  const voice = episode.spec.overrides?.providers?.voice?.provider ?? channel.spec.providers?.voice?.provider ?? 'piper';
  // Piper falls back to espeak-ng for other languages and where it is not installed.
  if (voice === 'espeak' || voice === 'piper') needed.push('espeak-ng');
  return needed.filter((program) => !onPath(program, env));
}

export function localUid(episode: Episode): string {
  const id = `${episode.metadata.namespace ?? 'default'}/${episode.metadata.name}`;
  return `local-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
}

export async function render(options: RenderOptions): Promise<RenderSummary> {
  const env = options.env ?? process.env;
  let loaded;
  try {
    loaded = await loadManifests(options.files);
  } catch (error) {
    if (error instanceof ManifestError) throw new RenderError(`invalid manifests, nothing was rendered:\n${error.message}`);
    throw error;
  }
  const { channel, episode } = pick(loaded.channels, loaded.episodes, options.episode);
  const language = writerLanguageProblem(channel.spec, episode.spec);
  if (language) throw new RenderError(`Channel ${channel.metadata.name}: ${language}; nothing was rendered`);
  const missing = missingPrograms(channel, episode, env);
  if (missing.length) {
    const packages = [...new Set(missing.map((p) => (p === 'ffprobe' ? 'ffmpeg' : p)))];
    throw new RenderError(
      `${missing.join(', ')} not found on PATH: install ${packages.join(' and ')} (Debian/Ubuntu: sudo apt-get install ${packages.join(' ')})`,
    );
  }

  const out = resolve(options.out);
  const folder = join(out, episode.metadata.name!);
  const store = new LocalArtifactStore(join(out, '.acog', 'artifacts'));
  const stages = activeStages(channel.spec, episode.spec);
  const gates = [...approvalGates(channel.spec, episode.spec)];
  options.stderr.write(
    `Rendering ${episode.metadata.name} (${channel.metadata.name}, ${channel.spec.format.aspectRatio}, ~${episode.spec.overrides?.targetDurationSeconds ?? channel.spec.format.targetDurationSeconds}s) into ${folder}\n`,
  );
  if (gates.length) options.stderr.write(`Approval gates (${gates.join(', ')}) are not held in a local render.\n`);
  // The providers the stages use: the Episode's override of each capability, else the Channel's.
  const providers = Object.fromEntries(
    CAPABILITIES.map((capability) => [capability, episode.spec.overrides?.providers?.[capability] ?? channel.spec.providers?.[capability]]),
  ) as Providers;
  for (const notice of modelNotices(providers, new Date())) options.stderr.write(`warning: ${notice.text}\n`);

  const display = createProgressDisplay(stages, options.stderr);
  const started = Date.now();
  let pipeline: PipelineResult;
  try {
    const fallbacks = new Map<string, string>();
    pipeline = await runPipeline(channel, episode, localUid(episode), {
      store,
      scratch: join(out, '.acog', 'scratch'),
      env: { ...env, ACOG_PUBLISH_DESTINATION: pathToFileURL(folder).href + '/' },
      signal: options.signal,
      concurrency: options.concurrency,
      maxAttempts: 1,
      onProgress: (p) => {
        if (p.state === 'running')
          display.update(p.stage, { state: 'running', detail: p.attempt > 1 ? `attempt ${p.attempt}` : undefined });
        else if (p.state === 'succeeded' || p.state === 'reused') {
          const note = fallbacks.get(p.stage);
          display.update(p.stage, {
            state: p.state,
            seconds: p.seconds,
            detail: note ? `${p.result.provider}: ${note}` : p.result.provider,
          });
        } else if (p.state === 'failed') display.update(p.stage, { state: 'failed', seconds: p.seconds, detail: p.message });
      },
      log: (stage, line) => {
        // The voice says why espeak-ng speaks instead of Piper ("Piper is not installed (…): speaking with espeak-ng").
        const fallback = /^(.*): speaking with espeak-ng$/.exec(line);
        if (fallback) fallbacks.set(stage, fallback[1]);
        const percent = /^assemble (\d+)%$/.exec(line);
        if (percent) display.update(stage, { fraction: Number(percent[1]) / 100, detail: `${percent[1]}%` });
      },
    });
  } catch (error) {
    display.stop();
    if (options.signal?.aborted) throw new RenderError('stopped. Run the same command again to continue: finished stages are reused.');
    if (error instanceof PipelineFailure)
      throw new RenderError(`${error.message}\nFix the cause and run the same command again: finished stages are reused.`);
    throw error;
  }
  display.stop();
  const files = existsSync(folder) ? (await readdir(folder)).sort().map((name) => join(folder, name)) : [];
  return { episode: episode.metadata.name!, folder, files, pipeline, seconds: (Date.now() - started) / 1000 };
}
