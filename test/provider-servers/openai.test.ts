// The OpenAI stand-in answers as OpenAI does now, through the real `openai` SDK: retired models,
// temperatures reasoning models refuse, and a spent quota.
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAiServer, type OpenAiServer } from './openai.ts';

let clock = new Date('2027-01-13T23:59:59Z');
let server: OpenAiServer;
let client: OpenAI;
beforeAll(async () => {
  server = await startOpenAiServer({ now: () => clock });
  client = new OpenAI({ apiKey: server.apiKey!, baseURL: server.url, maxRetries: 0 });
});
afterAll(() => server.close());

const ask = (model: string, extra: { temperature?: number } = {}) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say something about indexes.' }], ...extra });

async function refusal(promise: Promise<unknown>): Promise<APIError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(APIError);
  return error as APIError;
}

describe('the OpenAI stand-in', () => {
  it('serves a deprecated model until its shutdown day, then answers 404 model_not_found', async () => {
    clock = new Date('2027-01-13T23:59:59Z');
    expect((await ask('gpt-4o-mini')).choices[0]!.message.content).toBeTruthy();
    clock = new Date('2027-01-14T00:00:00Z');
    const error = await refusal(ask('gpt-4o-mini-2024-07-18'));
    expect(error.status).toBe(404);
    expect(error.error).toEqual({
      message: 'The model `gpt-4o-mini-2024-07-18` does not exist or you do not have access to it.',
      type: 'invalid_request_error',
      param: null,
      code: 'model_not_found',
    });
    // The speech and transcription endpoints follow their own dates.
    clock = new Date('2027-01-06T00:00:00Z');
    const speech = await refusal(client.audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'alloy', input: 'Hello.' }));
    expect([speech.status, speech.code]).toEqual([404, 'model_not_found']);
  });

  it('refuses a temperature other than 1 on a reasoning model, with the real message', async () => {
    clock = new Date('2026-12-07T12:00:00Z');
    const error = await refusal(ask('gpt-6-luna', { temperature: 0.7 }));
    expect(error.status).toBe(400);
    expect(error.error).toEqual({
      message: "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is supported.",
      type: 'invalid_request_error',
      param: 'temperature',
      code: 'unsupported_value',
    });
    expect((await ask('gpt-6-luna', { temperature: 1 })).choices).toHaveLength(1);
    expect((await ask('gpt-4.1', { temperature: 0.7 })).choices).toHaveLength(1);
  });

  it('answers 429 insufficient_quota when asked to, in OpenAI shape', async () => {
    clock = new Date('2026-12-07T12:00:00Z');
    server.failNext(429, { code: 'insufficient_quota' });
    const error = await refusal(ask('gpt-6-luna'));
    expect(error.status).toBe(429);
    expect(error.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota', param: null });
    expect((error.error as { message: string }).message).toMatch(
      /^You exceeded your current quota, please check your plan and billing details\./,
    );
  });
});
