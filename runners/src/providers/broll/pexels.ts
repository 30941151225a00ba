// Stock B-roll from Pexels: GET /videos/search (query, orientation, size, per_page) with the key
// in the Authorization header; for each planned clip the first unused video long enough, its MP4
// file closest above the frame size, downloaded at once (streamed to disk) and conformed to the
// frame, 30 fps and the clip's length. Every clip carries "Video by <name> on Pexels" with the
// video's page, as Pexels' guidelines ask. The API allows 200 requests an hour and 20,000 a month:
// searches are reused within a run. X-Ratelimit-Limit / -Remaining / -Reset come only with 2xx
// answers and count the monthly allowance (Reset is when the month rolls over); a 429 carries none
// of them, so it is backed off exponentially (or as a Retry-After says), and a search after an
// answer that left none of the month's allowance fails at once, saying when it renews. A cue Pexels
// has nothing for becomes a motion-graphics clip.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrollProvider } from '@acog/api';
import type { BrollClip, BrollManifest } from '../../contract/documents.ts';
import { frameSize, orientationOf, type FrameSize } from '../../media/frame.ts';
import { ProviderError, ProviderHttp, logRetries, type ProviderHttpOptions } from '../http.ts';
import { requireSecret, type Produced, type ProviderContext } from '../types.ts';
import { conformVideo } from '../visuals/conform.ts';
import { channelImagePaths } from '../visuals/images.ts';
import { credentialHint, mediaClient } from '../visuals/remote.ts';
import { MotionRenderer } from './motion-graphics.ts';
import { clipSearchTerms, planBrollClips, type PlannedClip } from './plan.ts';
import { narrationWordsPerMinute } from '../writer/rules.ts';
import type { BrollScript, BrollSource } from './types.ts';

const PROVIDER = 'Pexels';
export const PEXELS_BASE_URL = 'https://api.pexels.com';
export const PEXELS_PER_PAGE = 15;

export interface PexelsVideoFile {
  id: number;
  quality: string | null;
  file_type: string;
  width: number | null;
  height: number | null;
  fps?: number | null;
  link: string;
}

export interface PexelsVideo {
  id: number;
  width: number;
  height: number;
  url: string;
  image?: string;
  duration: number;
  user: { id: number; name: string; url: string };
  video_files: PexelsVideoFile[];
}

export interface PexelsSearchAnswer {
  page: number;
  per_page: number;
  total_results: number;
  url?: string;
  videos: PexelsVideo[];
}

export function pexelsOrientation(size: FrameSize): 'landscape' | 'portrait' | 'square' {
  return orientationOf(size);
}

/** Pexels' size filter: the smallest class that still covers the frame (medium is Full HD). */
export function pexelsSizeClass(size: FrameSize): 'small' | 'medium' | 'large' {
  const short = Math.min(size.width, size.height);
  return short > 1080 ? 'large' : short > 720 ? 'medium' : 'small';
}

/**
 * The MP4 file to download: of the files whose short side covers the frame's, the smallest (high
 * frame rates last); when none covers it, the largest there is. HLS playlists never.
 */
export function choosePexelsFile(files: PexelsVideoFile[], size: FrameSize): PexelsVideoFile | undefined {
  const mp4 = files.filter((file) => file.file_type === 'video/mp4' && file.width && file.height && file.link);
  if (mp4.length === 0) return undefined;
  const short = (file: PexelsVideoFile) => Math.min(file.width as number, file.height as number);
  const pixels = (file: PexelsVideoFile) => (file.width as number) * (file.height as number);
  const target = Math.min(size.width, size.height);
  const highRate = (file: PexelsVideoFile) => ((file.fps ?? 30) > 31 ? 1 : 0);
  const covering = mp4.filter((file) => short(file) >= target).sort((a, b) => highRate(a) - highRate(b) || pixels(a) - pixels(b));
  if (covering.length > 0) return covering[0];
  return [...mp4].sort((a, b) => pixels(b) - pixels(a) || highRate(a) - highRate(b))[0];
}

/**
 * The video for a clip: in Pexels' order of relevance, the first not used yet, of the frame's
 * orientation, at least as long as the clip, with a usable file; failing that, a shorter one
 * (it will loop), then one used before.
 */
export function choosePexelsVideo(
  videos: PexelsVideo[],
  options: { seconds: number; size: FrameSize; used: ReadonlySet<number> },
): { video: PexelsVideo; file: PexelsVideoFile } | undefined {
  const wanted = orientationOf(options.size);
  const candidates = videos
    .map((video) => ({ video, file: choosePexelsFile(video.video_files ?? [], options.size) }))
    .filter((candidate): candidate is { video: PexelsVideo; file: PexelsVideoFile } => Boolean(candidate.file))
    .filter(({ video }) => wanted === 'square' || orientationOf(video) === wanted);
  const rank = ({ video }: { video: PexelsVideo }) => (options.used.has(video.id) ? 2 : 0) + (video.duration >= options.seconds ? 0 : 1);
  return candidates
    .map((candidate, order) => ({ candidate, order }))
    .sort((a, b) => rank(a.candidate) - rank(b.candidate) || a.order - b.order)[0]?.candidate;
}

export function pexelsAttribution(video: Pick<PexelsVideo, 'url' | 'user'>): string {
  return `Video by ${video.user.name} on Pexels: ${video.url}`;
}

/** The monthly allowance a 2xx answer reports; undefined when its headers are missing (any other answer). */
export interface PexelsAllowance {
  limit: number;
  remaining: number;
  /** When the monthly period rolls over. */
  resetsAt: Date;
}

export function pexelsAllowance(headers: Headers): PexelsAllowance | undefined {
  const [limit, remaining, reset] = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'].map((name) => {
    const value = headers.get(name);
    return value === null || value.trim() === '' ? NaN : Number(value);
  });
  if (![limit, remaining, reset].every(Number.isFinite)) return undefined;
  return { limit, remaining, resetsAt: new Date(reset * 1000) };
}

export interface PexelsOptions {
  /** Local copies of remote channel images, for clips that fall back to motion graphics. */
  imagePaths?: string[];
  retry?: ProviderHttpOptions['retry'];
  fetch?: typeof fetch;
}

export function createPexelsBroll(spec: BrollProvider, options: PexelsOptions = {}): BrollSource {
  return {
    name: 'pexels',
    async clips(ctx: ProviderContext, script: BrollScript): Promise<Produced<BrollManifest>> {
      const apiKey = requireSecret(ctx, 'PEXELS_API_KEY', spec.secretRef);
      const http = new ProviderHttp({
        provider: PROVIDER,
        baseUrl: ctx.env.ACOG_PEXELS_BASE_URL ?? PEXELS_BASE_URL,
        credential: credentialHint('PEXELS_API_KEY', spec.secretRef),
        headers: { authorization: apiKey, accept: 'application/json' },
        retry: options.retry,
        fetch: options.fetch,
        onRetry: logRetries(ctx.log),
      });
      const media = mediaClient(PROVIDER, ctx.env, { fetch: options.fetch, retry: options.retry });
      const format = ctx.channel.format;
      const size = frameSize(format.aspectRatio);
      const plan = planBrollClips(script, {
        clipSeconds: spec.clipSeconds,
        wordsPerMinute: narrationWordsPerMinute(ctx.channel, ctx.episode.spec),
      });
      const downloads = join(ctx.workdir, 'pexels');
      await mkdir(downloads, { recursive: true });

      const searches = new Map<string, Promise<PexelsVideo[]>>();
      const allowance: { last?: PexelsAllowance } = {};
      let requests = 0;
      const search = (query: string) => {
        let pending = searches.get(query);
        if (!pending) {
          requests += 1;
          pending = searchVideos(http, query, size, ctx, allowance).then((answer) => answer.videos ?? []);
          searches.set(query, pending);
        }
        return pending;
      };
      const downloaded = new Map<number, Promise<string>>();
      const used = new Set<number>();
      let renderer: MotionRenderer | undefined;
      const clips: BrollClip[] = [];
      let stockSeconds = 0;

      for (const clip of plan) {
        const pick = await findVideo(clip, size, used, search);
        if (!pick) {
          renderer ??= new MotionRenderer(
            ctx.workdir,
            { size, brandColor: format.brandColor, images: await channelImagePaths(format.images, options.imagePaths) },
            ctx.signal,
          );
          const kind = await renderer.render(clip, clip.index === 0 ? 'title' : undefined);
          ctx.log(`Pexels has nothing for "${clipSearchTerms(clip)}": ${clip.file} is a ${kind} card`);
          clips.push({ beatId: clip.beatId, file: clip.file, durationSeconds: clip.seconds });
          continue;
        }
        const { video, file } = pick;
        used.add(video.id);
        let source = downloaded.get(video.id);
        if (!source) {
          const target = join(downloads, `${video.id}-${file.id}.mp4`);
          source = media.download(file.link, target, { signal: ctx.signal }).then((bytes) => {
            ctx.log(`Pexels: downloaded video ${video.id} (${file.width}x${file.height}, ${(bytes / 1e6).toFixed(1)} MB)`);
            return target;
          });
          downloaded.set(video.id, source);
        }
        await conformVideo(
          {
            input: await source,
            output: join(ctx.workdir, clip.file),
            width: size.width,
            height: size.height,
            seconds: clip.seconds,
            // Stock clips often open on a fade or a shaky first second.
            startSeconds: video.duration >= clip.seconds + 2 ? 1 : 0,
            loopShortInput: true,
          },
          ctx.signal,
        );
        stockSeconds += clip.seconds;
        clips.push({ beatId: clip.beatId, file: clip.file, durationSeconds: clip.seconds, attribution: pexelsAttribution(video) });
      }
      for (const file of await Promise.all(downloaded.values())) await rm(file, { force: true });
      ctx.log(`Pexels: ${clips.length} clips, ${stockSeconds.toFixed(1)} s of stock footage, ${requests} searches`);
      return {
        value: { clips },
        usage: { requests, clips: clips.length, seconds: clips.reduce((sum, clip) => sum + clip.durationSeconds, 0), stockSeconds },
        costUSD: 0,
      };
    },
  };
}

/** Tries the clip's search words, then its first keyword alone, then the beat heading. */
async function findVideo(
  clip: PlannedClip,
  size: FrameSize,
  used: ReadonlySet<number>,
  search: (query: string) => Promise<PexelsVideo[]>,
): Promise<{ video: PexelsVideo; file: PexelsVideoFile } | undefined> {
  const queries = [clipSearchTerms(clip), clip.cue?.keywords?.[0]?.trim(), clip.heading].filter((query): query is string => Boolean(query));
  for (const query of [...new Set(queries)]) {
    const pick = choosePexelsVideo(await search(query), { seconds: clip.seconds, size, used });
    if (pick) return pick;
  }
  return undefined;
}

async function searchVideos(
  http: ProviderHttp,
  query: string,
  size: FrameSize,
  ctx: ProviderContext,
  allowance: { last?: PexelsAllowance },
): Promise<PexelsSearchAnswer> {
  const spent = allowance.last;
  if (spent && spent.remaining <= 0) {
    throw new ProviderError(
      PROVIDER,
      'rate-limit',
      `${PROVIDER}: this key's monthly allowance of ${spent.limit} requests is spent; it renews at ${spent.resetsAt.toISOString()} (or ask Pexels for a higher limit, or choose another B-roll provider)`,
      { status: 429 },
    );
  }
  let response: Response;
  try {
    response = await http.request('GET', '/videos/search', {
      query: { query, orientation: pexelsOrientation(size), size: pexelsSizeClass(size), per_page: PEXELS_PER_PAGE, page: 1 },
      signal: ctx.signal,
    });
  } catch (error) {
    // A 429 says nothing of which limit it is: 200 requests an hour, or the month's allowance.
    if (error instanceof ProviderError && error.kind === 'rate-limit') {
      const known = allowance.last
        ? `; ${allowance.last.remaining} of the monthly ${allowance.last.limit} were left at the last answer, renewing at ${allowance.last.resetsAt.toISOString()}`
        : '';
      throw new ProviderError(
        PROVIDER,
        'rate-limit',
        `${error.message}; Pexels allows 200 requests an hour and a monthly allowance${known}: try again later`,
        { status: 429, retryAfterMs: error.retryAfterMs, cause: error },
      );
    }
    throw error;
  }
  const reported = pexelsAllowance(response.headers);
  if (reported) {
    allowance.last = reported;
    if (reported.remaining < 100)
      ctx.log(
        `Pexels: ${reported.remaining} of this month's ${reported.limit} requests left (renews at ${reported.resetsAt.toISOString()})`,
      );
  }
  const text = await response.text();
  try {
    return JSON.parse(text) as PexelsSearchAnswer;
  } catch (cause) {
    throw new ProviderError(
      PROVIDER,
      'bad-response',
      `${PROVIDER} answered GET /videos/search with something that is not JSON: ${text.slice(0, 200)}`,
      { cause },
    );
  }
}
