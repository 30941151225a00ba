import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_BUSY, startElevenLabsServer, validateSpeechRequest, type ElevenLabsServer } from './elevenlabs.ts';

let server: ElevenLabsServer;
beforeAll(async () => {
  server = await startElevenLabsServer({ voices: ['JBFqnCBsd6RMkjVDRZzb'], maxCharacters: 200 });
});
afterAll(() => server.close());

interface Alignment {
  characters: string[];
  character_start_times_seconds: number[];
  character_end_times_seconds: number[];
}

function speak(
  body: unknown,
  { format, key = server.apiKey, voice = 'JBFqnCBsd6RMkjVDRZzb' }: { format?: string; key?: string; voice?: string } = {},
) {
  const query = format ? `?output_format=${format}` : '';
  return fetch(`${server.url}/v1/text-to-speech/${voice}/with-timestamps${query}`, {
    method: 'POST',
    headers: { 'xi-api-key': key, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Seconds of audio in any format ffmpeg reads, by decoding it. */
function decodedSeconds(audio: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-i', 'pipe:0', '-f', 's16le', '-ac', '1', '-ar', '16000', 'pipe:1']);
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(bytes / 2 / 16_000) : reject(new Error(`ffmpeg exited ${code}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(audio);
  });
}

describe('local ElevenLabs server', () => {
  it('speaks real audio in the requested format with an alignment that fits it', async () => {
    const text = 'Indexes make lookups fast.';
    const pcm = await speak({ text }, { format: 'pcm_16000' });
    expect(pcm.status).toBe(200);
    const answer = (await pcm.json()) as { audio_base64: string; alignment: Alignment; normalized_alignment: Alignment };
    const seconds = Buffer.from(answer.audio_base64, 'base64').length / 2 / 16_000;
    expect(seconds).toBeGreaterThan(1);
    expect(answer.alignment.characters.join('')).toBe(text);
    expect(answer.alignment.character_start_times_seconds).toHaveLength(text.length);
    expect(answer.alignment.character_end_times_seconds.at(-1)).toBeLessThanOrEqual(seconds);
    expect(answer.alignment.character_end_times_seconds.at(-1)).toBeGreaterThan(seconds * 0.7);

    const mp3 = (await (await speak({ text })).json()) as { audio_base64: string };
    const audio = Buffer.from(mp3.audio_base64, 'base64');
    expect(audio.subarray(0, 3).toString('latin1') === 'ID3' || (audio[0] === 0xff && (audio[1] & 0xe0) === 0xe0)).toBe(true);
    expect(Math.abs((await decodedSeconds(audio)) - seconds)).toBeLessThan(0.1);
  });

  it("answers a wrong key with ElevenLabs' 401", async () => {
    const response = await speak({ text: 'hi' }, { key: 'nope' });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ detail: { status: 'invalid_api_key', code: 'invalid_api_key', message: 'Invalid API key' } });
  });

  it('answers a bad request with a 422 validation detail', async () => {
    const response = await speak({ voice_settings: { speed: 2 } }, { format: 'mp3_1_1' });
    expect(response.status).toBe(422);
    const { detail } = (await response.json()) as { detail: { loc: string[]; msg: string; type: string }[] };
    expect(detail.map((issue) => issue.loc.join('.'))).toEqual(['query.output_format', 'body.text', 'body.voice_settings.speed']);
    expect(detail[2]).toMatchObject({ type: 'less_than_equal', msg: 'Input should be less than or equal to 1.2' });
    expect((await speak('{not json')).status).toBe(422);
    expect(validateSpeechRequest({ text: 'ok', seed: -1 }, undefined)[0]).toMatchObject({ loc: ['body', 'seed'] });
  });

  it('refuses request stitching with Eleven v3 as ElevenLabs does (400 unsupported_model), and takes it with v2', async () => {
    const refused = await speak({ text: 'Second beat.', model_id: 'eleven_v3', previous_text: 'First beat.' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      detail: {
        status: 'unsupported_model',
        message: "Providing previous_text or next_text is not yet supported with the 'eleven_v3' model.",
      },
    });
    expect((await speak({ text: 'Second beat.', model_id: 'eleven_v3' })).status).toBe(200);
    expect((await speak({ text: 'Second beat.', model_id: 'eleven_multilingual_v2', next_text: 'Third.' })).status).toBe(200);
  });

  it('refuses an unknown voice, an unknown model and a text over the limit', async () => {
    expect(await (await speak({ text: 'hi' }, { voice: 'unknown' })).json()).toMatchObject({ detail: { status: 'voice_not_found' } });
    expect(await (await speak({ text: 'hi', model_id: 'eleven_nothing' })).json()).toMatchObject({ detail: { status: 'model_not_found' } });
    const long = await speak({ text: 'a'.repeat(201) });
    expect(long.status).toBe(400);
    expect(await long.json()).toMatchObject({ detail: { status: 'max_character_limit_exceeded' } });
  });

  it('fails the next requests as told, then serves again, and logs every request', async () => {
    server.requests.length = 0;
    server.failNext(429, { times: 2, retryAfter: 3, body: SYSTEM_BUSY });
    server.failNext(500);
    const first = await speak({ text: 'one' });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(await first.json()).toEqual(SYSTEM_BUSY);
    expect((await speak({ text: 'two' })).status).toBe(429);
    const third = await speak({ text: 'three' });
    expect(third.status).toBe(500);
    expect(await third.json()).toMatchObject({ detail: { status: 'internal_server_error' } });
    expect((await speak({ text: 'four' })).status).toBe(200);
    expect(server.requests.map((request) => [request.status, (request.body as { text: string }).text, request.apiKeySent])).toEqual([
      [429, 'one', true],
      [429, 'two', true],
      [500, 'three', true],
      [200, 'four', true],
    ]);
  });
});
