// What the local stand-ins for HeyGen, Pexels and Runway share: listening on 127.0.0.1 (port 0),
// recording requests, injected failures (failNext) and small real MP4s made once by ffmpeg. The
// ElevenLabs and OpenAI stand-ins use its request-body reader and its tool runner too.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined for other bodies. */
  json?: unknown;
  /** Size of the body in bytes. */
  bytes: number;
  status: number;
  at: number;
}

export interface FailureOptions {
  /** How many requests in a row fail this way (1). */
  times?: number;
  /** Retry-After header: seconds or an HTTP date. */
  retryAfter?: number | string;
  /** Only requests whose path starts with this fail. */
  path?: string;
  /** The error body; the provider's usual one for the status when unset. */
  body?: unknown;
  /** More headers of the failure (X-Ratelimit-Reset, say). */
  headers?: Record<string, string>;
}

export interface IncomingRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Reply = { status: number; json?: unknown; body?: Buffer; headers?: Record<string, string> };

export interface HarnessOptions {
  /** The provider's error body for a status, used by failNext. */
  errorBody: (status: number) => unknown;
  handle: (request: IncomingRequest, base: string) => Promise<Reply> | Reply;
}

export interface Harness {
  url: string;
  requests: RecordedRequest[];
  failNext(status: number, options?: FailureOptions): void;
  /** Drops the failures failNext queued that have not happened yet. */
  clearFailures(): void;
  close(): Promise<void>;
}

/** The whole body of a request. */
export function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, reply: Reply): void {
  const body = reply.body ?? (reply.json === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(reply.json)));
  const headers: Record<string, string> = { 'content-length': String(body.length), ...reply.headers };
  if (reply.json !== undefined) headers['content-type'] = 'application/json';
  response.writeHead(reply.status, headers);
  response.end(body);
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const requests: RecordedRequest[] = [];
  const failures: (FailureOptions & { status: number; left: number })[] = [];
  let base = '';
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const url = new URL(request.url ?? '/', base);
      let json: unknown;
      if (String(request.headers['content-type'] ?? '').startsWith('application/json') && body.length > 0) {
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          json = undefined;
        }
      }
      const record: RecordedRequest = {
        method: request.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: request.headers,
        json,
        bytes: body.length,
        status: 0,
        at: Date.now(),
      };
      requests.push(record);
      let reply: Reply;
      const failure = failures.find((candidate) => candidate.left > 0 && (!candidate.path || url.pathname.startsWith(candidate.path)));
      if (failure) {
        failure.left -= 1;
        const headers: Record<string, string> = { ...failure.headers };
        if (failure.retryAfter !== undefined) headers['retry-after'] = String(failure.retryAfter);
        reply = { status: failure.status, json: failure.body ?? options.errorBody(failure.status), headers };
      } else {
        try {
          reply = await options.handle({ method: record.method, url, headers: request.headers, body }, base);
        } catch (error) {
          reply = {
            status: 500,
            json: options.errorBody(500),
            headers: { 'x-test-error': encodeURIComponent((error as Error).message).slice(0, 200) },
          };
        }
      }
      record.status = reply.status;
      send(response, reply);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    failNext(status, failureOptions = {}) {
      failures.push({ ...failureOptions, status, left: failureOptions.times ?? 1 });
    },
    clearFailures() {
      failures.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The parts of a multipart/form-data body: plain fields by name, and the "file" part. */
export function multipartParts(
  contentType: string | undefined,
  body: Buffer,
): { fields: Record<string, string>; file?: { filename?: string; data: Buffer } } | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const fields: Record<string, string> = {};
  let file: { filename?: string; data: Buffer } | undefined;
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    if (split !== -1) {
      const head = part.subarray(0, split).toString('utf8');
      const name = /name="([^"]*)"/.exec(head)?.[1];
      const data = part.subarray(split + 4);
      if (name === 'file') file = { filename: /filename="([^"]*)"/.exec(head)?.[1], data };
      else if (name) fields[name] = data.toString('utf8');
    }
    start = next;
  }
  return { fields, file };
}

/** The "file" part of a multipart/form-data body. */
export function multipartFile(contentType: string | undefined, body: Buffer): { filename?: string; data: Buffer } | undefined {
  return multipartParts(contentType, body)?.file;
}

/** A header's value whatever its case and count. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Runs a tool (espeak-ng, ffmpeg) with `input` on its standard input; resolves with its standard output. */
export function runCommand(command: string, args: string[], input: string | Buffer = ''): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new Error(`${command} exited ${code}: ${Buffer.concat(err).toString().slice(-500)}`)),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/**
 * A real, small MP4 (testsrc2 pattern, optionally with a tone) of the given size and length,
 * encoded once per cache and served from memory.
 */
export class SampleVideos {
  private readonly made = new Map<string, Promise<Buffer>>();

  get(width: number, height: number, seconds: number, withAudio = false): Promise<Buffer> {
    const key = `${width}x${height}-${seconds}-${withAudio}`;
    let video = this.made.get(key);
    if (!video) {
      video = SampleVideos.encode(width, height, seconds, withAudio);
      this.made.set(key, video);
    }
    return video;
  }

  static async encode(width: number, height: number, seconds: number, withAudio: boolean): Promise<Buffer> {
    const folder = await mkdtemp(join(tmpdir(), 'acog-sample-video-'));
    const file = join(folder, 'sample.mp4');
    try {
      await runCommand('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=s=${width}x${height}:r=30:d=${seconds}`,
        ...(withAudio ? ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:a', 'aac', '-shortest'] : []),
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        '-movflags',
        '+faststart',
        file,
      ]);
      return await readFile(file);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
}
