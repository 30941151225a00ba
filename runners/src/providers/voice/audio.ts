// Narration audio for the voice providers: 16-bit mono PCM WAV files read, written and joined
// without holding a whole narration in memory, and ffmpeg for decoding and resampling.
import { spawn } from 'node:child_process';
import { open, rm, stat, type FileHandle } from 'node:fs/promises';
import type { Narration, WordTiming } from '../../contract/documents.ts';
import { guardInputs } from '../../media/ffmpeg.ts';
import { BEAT_PAUSE_SECONDS, assembleTimeline, type PlacedChunk } from './timings.ts';

/** The narration's format: what the assembler reads. */
export const NARRATION_SAMPLE_RATE = 48_000;

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Byte offset of the sample data. */
  dataOffset: number;
  dataBytes: number;
  /** Sample frames: samples per channel. */
  frames: number;
  durationSeconds: number;
}

/**
 * Reads a RIFF/WAVE header. The data chunk's declared size is trusted only up to the bytes there
 * are: a WAV written to a pipe (espeak-ng --stdout) declares a size it could not know.
 */
export function parseWavHeader(header: Uint8Array, fileBytes: number): WavInfo {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const tag = (offset: number) => String.fromCharCode(...header.subarray(offset, offset + 4));
  if (header.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a WAV file (no RIFF/WAVE header)');
  let format: { channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  for (let offset = 12; offset + 8 <= header.byteLength;) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    if (id === 'fmt ') {
      const code = view.getUint16(offset + 8, true);
      if (code !== 1 && code !== 0xfffe) throw new Error(`the WAV file is not PCM (format ${code})`);
      format = {
        channels: view.getUint16(offset + 10, true),
        sampleRate: view.getUint32(offset + 12, true),
        bitsPerSample: view.getUint16(offset + 22, true),
      };
    } else if (id === 'data') {
      if (!format) throw new Error('the WAV file has its data before its format');
      const dataOffset = offset + 8;
      const dataBytes = Math.min(size, Math.max(0, fileBytes - dataOffset));
      const frameBytes = format.channels * (format.bitsPerSample / 8);
      const frames = Math.floor(dataBytes / frameBytes);
      return { ...format, dataOffset, dataBytes: frames * frameBytes, frames, durationSeconds: frames / format.sampleRate };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error('the WAV file has no data chunk in its first bytes');
}

export async function readWavInfo(file: string): Promise<WavInfo> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(65_536);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    return parseWavHeader(header.subarray(0, bytesRead), (await handle.stat()).size);
  } finally {
    await handle.close();
  }
}

/** The samples of a 16-bit mono WAV held in memory (a sentence or a chunk, not a whole narration). */
export function wavSamples(wav: Buffer): { sampleRate: number; samples: Int16Array } {
  const info = parseWavHeader(wav, wav.length);
  if (info.channels !== 1 || info.bitsPerSample !== 16)
    throw new Error(`expected 16-bit mono WAV, got ${info.bitsPerSample}-bit with ${info.channels} channels`);
  return { sampleRate: info.sampleRate, samples: pcmSamples(wav.subarray(info.dataOffset, info.dataOffset + info.dataBytes)) };
}

/** Little-endian 16-bit PCM bytes as samples (copied: a Buffer's offset may be odd). */
export function pcmSamples(bytes: Uint8Array): Int16Array {
  const samples = new Int16Array(Math.floor(bytes.byteLength / 2));
  new Uint8Array(samples.buffer).set(bytes.subarray(0, samples.length * 2));
  return samples;
}

export function wavHeader(sampleRate: number, dataBytes: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** [first, last) sample louder than the level (about -40 dBFS): where a recording's speech is. */
export function voicedRange(samples: Int16Array, level = 328): { start: number; end: number } {
  let start = 0;
  while (start < samples.length && Math.abs(samples[start]) < level) start++;
  let end = samples.length;
  while (end > start && Math.abs(samples[end - 1]) < level) end--;
  return start < end ? { start, end } : { start: 0, end: samples.length };
}

/** Writes a 16-bit mono WAV piece by piece; the header gets its sizes on close. */
export class WavWriter {
  readonly sampleRate: number;
  #handle: FileHandle;
  #frames = 0;

  private constructor(handle: FileHandle, sampleRate: number) {
    this.#handle = handle;
    this.sampleRate = sampleRate;
  }

  static async create(file: string, sampleRate: number): Promise<WavWriter> {
    const handle = await open(file, 'w');
    await handle.write(wavHeader(sampleRate, 0), 0, 44, 0);
    return new WavWriter(handle, sampleRate);
  }

  /** Frames written so far: the position of the next sample. */
  get frames(): number {
    return this.#frames;
  }

  async write(samples: Int16Array): Promise<void> {
    await this.#handle.write(
      new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength),
      0,
      samples.byteLength,
      44 + this.#frames * 2,
    );
    this.#frames += samples.length;
  }

  async silence(frames: number): Promise<void> {
    if (frames > 0) await this.write(new Int16Array(frames));
  }

  /** Finishes the file; resolves with its duration in seconds. */
  async close(): Promise<number> {
    await this.#handle.write(wavHeader(this.sampleRate, this.#frames * 2), 0, 44, 0);
    await this.#handle.close();
    return this.#frames / this.sampleRate;
  }

  /** Gives up: closes the file as it is. */
  async abandon(): Promise<void> {
    await this.#handle.close().catch(() => undefined);
  }
}

/**
 * A narration written piece by piece, in order: a pause of BEAT_PAUSE_SECONDS where the beat
 * changes, and each piece placed (where it starts, how long it is, its words) for assembleTimeline.
 */
export class NarrationTrack {
  readonly chunks: PlacedChunk[] = [];
  #writer: WavWriter;

  private constructor(writer: WavWriter) {
    this.#writer = writer;
  }

  static async create(file: string, sampleRate: number): Promise<NarrationTrack> {
    return new NarrationTrack(await WavWriter.create(file, sampleRate));
  }

  /** Appends a piece of `beatId`; `words` are timed from the piece's own start. */
  async add(beatId: string, samples: Int16Array, words: WordTiming[]): Promise<void> {
    const { sampleRate } = this.#writer;
    if (this.chunks.length > 0 && this.chunks[this.chunks.length - 1].beatId !== beatId)
      await this.#writer.silence(Math.round(BEAT_PAUSE_SECONDS * sampleRate));
    this.chunks.push({ beatId, start: this.#writer.frames / sampleRate, durationSeconds: samples.length / sampleRate, words });
    await this.#writer.write(samples);
  }

  /** Finishes the file; resolves with its duration in seconds. */
  close(): Promise<number> {
    return this.#writer.close();
  }

  abandon(): Promise<void> {
    return this.#writer.abandon();
  }
}

/**
 * Speaks `pieces` one after another into a NARRATION_SAMPLE_RATE WAV at `file`: `speak` gives a
 * piece's samples at that rate and its words. A failure removes the file and is thrown. Resolves
 * with the narration's length and its word and beat timings.
 */
export async function narratePieces<P extends { beatId: string }>(
  file: string,
  beatIds: string[],
  pieces: P[],
  speak: (piece: P, index: number) => Promise<{ samples: Int16Array; words: WordTiming[] }>,
): Promise<Pick<Narration, 'durationSeconds' | 'words' | 'beats'>> {
  const track = await NarrationTrack.create(file, NARRATION_SAMPLE_RATE);
  try {
    for (const [index, piece] of pieces.entries()) {
      const { samples, words } = await speak(piece, index);
      await track.add(piece.beatId, samples, words);
    }
  } catch (error) {
    await track.abandon();
    await rm(file, { force: true });
    throw error;
  }
  const durationSeconds = await track.close();
  return { durationSeconds, ...assembleTimeline(beatIds, track.chunks, durationSeconds) };
}

export class ToolError extends Error {
  readonly command: string;
  readonly exitCode: number | null;
  constructor(command: string, exitCode: number | null, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolError';
    this.command = command;
    this.exitCode = exitCode;
  }
}

/** Runs a program; resolves with its standard output, rejects with its standard error. */
export function runTool(
  command: string,
  args: string[],
  options: { input?: Uint8Array | string; signal?: AbortSignal } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => reject(new ToolError(command, null, `${command} could not run: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(Buffer.concat(stdout));
      const said = Buffer.concat(stderr).toString().trim().split('\n').slice(-5).join('; ');
      reject(new ToolError(command, code, `${command} failed (${signal ? `signal ${signal}` : `exit ${code}`})${said ? `: ${said}` : ''}`));
    });
    // A program that exits without reading all of its input is answered by its exit status.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Decodes any audio ffmpeg reads (a file, or bytes) to 16-bit mono samples at the given rate; inputs limited as guardInputs says. */
export async function decodeToPcm(input: string | Uint8Array, sampleRate: number, signal?: AbortSignal): Promise<Int16Array> {
  const source = typeof input === 'string' ? input : 'pipe:0';
  const bytes = await runTool(
    'ffmpeg',
    guardInputs(['-nostdin', '-v', 'error', '-i', source, '-f', 's16le', '-ac', '1', '-ar', String(sampleRate), 'pipe:1']),
    {
      input: typeof input === 'string' ? undefined : input,
      signal,
    },
  );
  return pcmSamples(bytes);
}

/** Resamples a file to a 16-bit mono WAV file at the given rate. */
export async function convertToWav(input: string, output: string, sampleRate: number, signal?: AbortSignal): Promise<WavInfo> {
  await runTool(
    'ffmpeg',
    guardInputs([
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-i',
      input,
      '-ac',
      '1',
      '-ar',
      String(sampleRate),
      '-c:a',
      'pcm_s16le',
      '-f',
      'wav',
      output,
    ]),
    { signal },
  );
  return readWavInfo(output);
}

export async function fileExists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
