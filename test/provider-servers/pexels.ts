// A local stand-in for Pexels' video search as documented at pexels.com/api/documentation:
// GET /videos/search?query&orientation&size&locale&page&per_page with the key as the whole
// Authorization header; answers {page, per_page, total_results, url, videos: [{id, width, height,
// url, image, duration, user: {id, name, url}, video_files: [{id, quality, file_type, width,
// height, fps, link}], video_pictures}]}. X-Ratelimit-Limit / -Remaining / -Reset (the monthly
// allowance, and when the month rolls over) come only with 2xx answers, as Pexels documents; a 429
// (the allowance spent) has none of them. The files' links serve real MP4s of the asked
// orientation, without the key, as Pexels' video CDN does. Pexels does not document its error
// bodies; they are {error: message} here.
import { createHash } from 'node:crypto';
import { header, SampleVideos, startHarness, type Harness, type IncomingRequest, type Reply } from './harness.ts';

export const PEXELS_TEST_KEY = '563492ad6f917000010000014c0ca1f7localtest';
const DURATIONS = [3, 12, 8, 20, 5, 15];

export interface PexelsServerOptions {
  apiKey?: string;
  /** Videos each search answers (6). */
  videosPerQuery?: number;
  /** Searches whose query contains one of these words find nothing. */
  emptyWords?: string[];
  /** The monthly allowance: requests answered before 429s (20,000 when unset). */
  requestBudget?: number;
  /** Length of the MP4 every file link serves (3 s). */
  fileSeconds?: number;
}

export interface PexelsServer extends Harness {
  apiKey: string;
  /** Searches answered, by query. */
  searches: string[];
}

const errorBody = (status: number): { error: string } => ({
  error:
    {
      400: 'Bad request',
      401: 'Unauthorized: the API key is missing or invalid.',
      403: 'Forbidden: this API key has been suspended.',
      404: 'Not found',
      429: 'Too many requests: you have exceeded your rate limit.',
      500: 'Internal server error',
      502: 'Bad gateway',
      503: 'Service unavailable',
    }[status] ?? 'Error',
});

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export async function startPexelsServer(options: PexelsServerOptions = {}): Promise<PexelsServer> {
  const apiKey = options.apiKey ?? PEXELS_TEST_KEY;
  const perQuery = options.videosPerQuery ?? 6;
  const fileSeconds = options.fileSeconds ?? 3;
  const samples = new SampleVideos();
  const searches: string[] = [];
  const orientations = new Map<number, string>();
  let used = 0;
  let base = '';

  const rateHeaders = () => ({
    'x-ratelimit-limit': String(options.requestBudget ?? 20000),
    'x-ratelimit-remaining': String(Math.max(0, (options.requestBudget ?? 20000) - used)),
    'x-ratelimit-reset': String(Math.floor(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1) / 1000)),
  });

  const video = (query: string, index: number, orientation: string) => {
    const seed = createHash('sha256').update(query).digest().readUInt32BE(0) % 9_000_000;
    const id = 1_000_000 + seed + index;
    orientations.set(id, orientation);
    const portrait = orientation === 'portrait';
    const size = (long: number, short: number) =>
      portrait
        ? { width: short, height: long }
        : orientation === 'square'
          ? { width: short, height: short }
          : { width: long, height: short };
    const file = (fileId: number, quality: string | null, long: number, short: number, fps: number) => {
      const { width, height } = size(long, short);
      return {
        id: fileId,
        quality,
        file_type: 'video/mp4',
        width,
        height,
        fps,
        link: `${base}/video-files/${id}/${fileId}.mp4?size=${width}x${height}`,
      };
    };
    return {
      id,
      ...size(3840, 2160),
      url: `https://www.pexels.com/video/${slug(query)}-${id}/`,
      image: `https://images.pexels.com/videos/${id}/pictures/preview-0.jpg`,
      duration: DURATIONS[index % DURATIONS.length],
      full_res: null,
      tags: [],
      avg_color: null,
      user: { id: 50_000 + index, name: `Videographer ${index + 1}`, url: `https://www.pexels.com/@videographer-${index + 1}` },
      video_files: [
        file(id * 10 + 1, 'uhd', 3840, 2160, 25),
        file(id * 10 + 2, 'hd', 2560, 1440, 50),
        file(id * 10 + 3, 'hd', 1920, 1080, 25),
        file(id * 10 + 4, 'sd', 960, 540, 25),
        {
          id: id * 10 + 5,
          quality: 'hls',
          file_type: 'application/x-mpegURL',
          width: null,
          height: null,
          fps: null,
          link: `${base}/video-files/${id}/playlist.m3u8`,
        },
      ],
      video_pictures: [{ id: id * 10, nr: 0, picture: `https://images.pexels.com/videos/${id}/pictures/preview-0.jpg` }],
    };
  };

  const handle = async (request: IncomingRequest): Promise<Reply> => {
    const { url } = request;
    const file = /^\/video-files\/(\d+)\/(\d+)\.mp4$/.exec(url.pathname);
    if (file && request.method === 'GET') {
      const orientation = orientations.get(Number(file[1]));
      if (!orientation) return { status: 404, body: Buffer.from('Not Found') };
      const [width, height] = orientation === 'portrait' ? [180, 320] : orientation === 'square' ? [240, 240] : [320, 180];
      return { status: 200, body: await samples.get(width, height, fileSeconds), headers: { 'content-type': 'video/mp4' } };
    }
    if (url.pathname !== '/videos/search' || request.method !== 'GET') return { status: 404, json: errorBody(404) };
    const key = header(request.headers, 'authorization');
    if (key !== apiKey) return { status: 401, json: errorBody(401) };
    used += 1;
    if (options.requestBudget !== undefined && used > options.requestBudget) return { status: 429, json: errorBody(429) };

    const query = url.searchParams.get('query')?.trim();
    if (!query) return { status: 400, json: { error: 'query is required' } };
    const orientation = url.searchParams.get('orientation') ?? 'landscape';
    if (!['landscape', 'portrait', 'square'].includes(orientation))
      return { status: 400, json: { error: 'orientation must be landscape, portrait or square' } };
    const size = url.searchParams.get('size');
    if (size && !['large', 'medium', 'small'].includes(size))
      return { status: 400, json: { error: 'size must be large, medium or small' } };
    const perPage = Math.min(80, Number(url.searchParams.get('per_page') ?? 15));
    const page = Number(url.searchParams.get('page') ?? 1);
    searches.push(query);
    const empty = (options.emptyWords ?? []).some((word) => query.toLowerCase().includes(word.toLowerCase()));
    const videos = empty ? [] : Array.from({ length: Math.min(perPage, perQuery) }, (_, index) => video(query, index, orientation));
    return {
      status: 200,
      json: {
        page,
        per_page: perPage,
        total_results: videos.length,
        url: `https://www.pexels.com/search/videos/${encodeURIComponent(query)}/`,
        videos,
      },
      headers: rateHeaders(),
    };
  };

  const harness = await startHarness({ errorBody, handle });
  base = harness.url;
  return { ...harness, apiKey, searches };
}
