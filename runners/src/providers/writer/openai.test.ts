import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EpisodeSpec, LlmProvider } from '@acog/api';
import { startOpenAiServer, strictSchemaProblem, type OpenAiServer } from '../../../../test/provider-servers/openai.ts';
import { ProviderError } from '../http.ts';
import { NetworkPolicyError } from '../network-policy.ts';
import { ProviderConfigError } from '../types.ts';
import { createOfflineWriter } from './offline/index.ts';
import { callOpenAi, connectOpenAi } from '../openai-client.ts';
import {
  DEFAULT_MODEL,
  DEFAULT_PLAN_MODEL,
  createOpenAiWriter,
  languageRule,
  normalisePlan,
  shareSeconds,
  temperatureFor,
  type OpenAiWriterOptions,
} from './openai.ts';
import { validateChannel } from '@acog/api';
import { modelLifecycle, providerCatalog } from '@acog/api/catalog';
import { BannedTopicError, lengthTarget, metadataProblems } from './rules.ts';
import { metadataSchema, planSchema, refineSchema, scriptSchema } from './schemas.ts';
import { exampleChannel, exampleEpisode } from '../testing.ts';
import { testContext } from './test-fixtures.ts';

let server: OpenAiServer;
beforeAll(async () => {
  // OpenAI as it is on the day the catalog was checked, so that shutdown dates do not move the tests.
  server = await startOpenAiServer({ now: () => new Date('2026-12-07T12:00:00Z') });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
});

const spec: LlmProvider = { provider: 'openai', temperature: 0.4, secretRef: { name: 'engineering-explained-openai' } };
const fast: OpenAiWriterOptions = { retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 40 } };

function contextFor(options: { key?: string; episode?: EpisodeSpec } = {}) {
  return testContext({
    episode: options.episode,
    env: { OPENAI_API_KEY: options.key ?? server.apiKey!, ACOG_OPENAI_BASE_URL: server.url },
  });
}

interface ChatBody {
  model: string;
  temperature?: number;
  messages: { role: string; content: string }[];
  response_format: { type: string; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } };
}

const chatBodies = () =>
  server.requests.filter((request) => request.path === '/v1/chat/completions').map((request) => request.body as ChatBody);

describe('OpenAI writer against an OpenAI-compatible server', () => {
  it('writes plan, script, refined script and metadata with strict structured outputs and the right model per step', async () => {
    const ctx = await contextFor();
    const writer = createOpenAiWriter(spec, fast);
    const plan = await writer.plan(ctx);
    const script = await writer.script(ctx, plan.value);
    const refined = await writer.refine(ctx, script.value);
    const metadata = await writer.metadata(ctx, refined.value);

    const bodies = chatBodies();
    expect(bodies.map((body) => body.model)).toEqual(['gpt-6.1-sol', 'gpt-6-luna', 'gpt-6-luna', 'gpt-6-luna']);
    expect(bodies.map((body) => body.response_format.json_schema.name)).toEqual([
      'acog_plan',
      'acog_script',
      'acog_refine',
      'acog_metadata',
    ]);
    for (const body of bodies) {
      expect(body.response_format.type).toBe('json_schema');
      expect(body.response_format.json_schema.strict).toBe(true);
      // Both default models reason and take only their default temperature: the spec's 0.4 is not sent.
      expect(body.temperature).toBeUndefined();
      expect(body.messages[0]!.role).toBe('system');
      expect(body.messages[0]!.content).toContain('presented by Ada');
      expect(body.messages[0]!.content).toContain('cryptocurrency price predictions; politics');
    }
    expect(bodies[0]!.messages[1]!.content).toContain('A B-tree keeps keys sorted');
    expect(server.requests.every((request) => request.headers.authorization === `Bearer ${server.apiKey}`)).toBe(true);

    expect(plan.value.beats.map((beat) => beat.id)).toEqual(plan.value.beats.map((_, index) => `beat-${index + 1}`));
    expect(plan.value.beats.reduce((sum, beat) => sum + beat.targetSeconds, 0)).toBeCloseTo(60, 5);
    expect(script.value.beats.map((beat) => beat.id)).toEqual(plan.value.beats.map((beat) => beat.id));
    expect(script.value.beats.every((beat) => beat.narration.length > 0 && beat.brollCues.length > 0)).toBe(true);
    expect(refined.value.notes.some((note) => note.startsWith('Length: '))).toBe(true);
    const target = lengthTarget(ctx.channel, ctx.episode.spec);
    expect(refined.value.wordCount).toBeGreaterThanOrEqual(target.minWords);
    expect(refined.value.wordCount).toBeLessThanOrEqual(target.maxWords);
    expect(
      metadataProblems(
        metadata.value,
        refined.value.beats.map((beat) => beat.id),
      ),
    ).toEqual([]);
    // The publisher adds the sources, once; the writer's description has none of its own.
    expect(metadata.value.description).not.toContain('Sources:');
    expect(metadata.value.language).toBe('en');

    for (const step of [plan, script, refined, metadata]) {
      expect(step.usage.promptTokens).toBeGreaterThan(0);
      expect(step.usage.completionTokens).toBeGreaterThan(0);
      expect(step.costUSD).toBeGreaterThan(0);
    }
    expect(ctx.lines).toContain('openai writer: temperature 0.4 not sent: gpt-6.1-sol takes only its default');
    // gpt-6.1-sol: $2 and $10 per million tokens; gpt-6-luna: $0.10 and $0.50 (api/catalog/openai.yaml).
    expect(plan.costUSD).toBeCloseTo((plan.usage.promptTokens! * 2 + plan.usage.completionTokens! * 10) / 1e6, 6);
    expect(script.costUSD).toBeCloseTo((script.usage.promptTokens! * 0.1 + script.usage.completionTokens! * 0.5) / 1e6, 6);
  });

  it("asks for the Channel's language in every step, by name and tag", async () => {
    const channel = exampleChannel();
    channel.persona = { ...channel.persona, language: 'de-AT' };
    const ctx = await testContext({ channel, env: { OPENAI_API_KEY: server.apiKey!, ACOG_OPENAI_BASE_URL: server.url } });
    const writer = createOpenAiWriter(spec, fast);
    const plan = await writer.plan(ctx);
    const script = await writer.script(ctx, plan.value);
    const refined = await writer.refine(ctx, script.value);
    const metadata = await writer.metadata(ctx, refined.value);
    const bodies = chatBodies();
    expect(bodies.map((body) => body.response_format.json_schema.name)).toEqual([
      'acog_plan',
      'acog_script',
      'acog_refine',
      'acog_metadata',
    ]);
    for (const body of bodies) {
      expect(body.messages[0]!.role).toBe('system');
      expect(body.messages[0]!.content).toContain(
        'Language: write everything in Austrian German (BCP 47 tag de-AT): narration, headings, title, description, tags, chapter titles and thumbnail text',
      );
    }
    expect(metadata.value.language).toBe('de-AT');
    expect(languageRule('pt-BR')).toContain('Brazilian Portuguese (BCP 47 tag pt-BR)');
    expect(languageRule('x-unknown')).toContain('the language with BCP 47 tag x-unknown');
  });

  it('uses the models the spec names', async () => {
    const ctx = await contextFor();
    const writer = createOpenAiWriter({ ...spec, planModel: 'gpt-5.4', model: 'gpt-5.4-mini' }, fast);
    const plan = await writer.plan(ctx);
    await writer.script(ctx, plan.value);
    expect(chatBodies().map((body) => body.model)).toEqual(['gpt-5.4', 'gpt-5.4-mini']);
  });

  it('sends the temperature to a model that takes one, and none when the spec sets none', async () => {
    const ctx = await contextFor();
    await createOpenAiWriter({ ...spec, planModel: 'gpt-4.1' }, fast).plan(ctx);
    await createOpenAiWriter({ ...spec, planModel: 'gpt-4.1', temperature: undefined }, fast).plan(ctx);
    expect(chatBodies().map((body) => body.temperature)).toEqual([0.4, undefined]);
  });

  it('gets the real 400 when a temperature reaches a reasoning model', async () => {
    const ctx = await contextFor();
    const connection = connectOpenAi(ctx, {}, fast);
    const attempt = callOpenAi(connection, ctx, 'chat.completions (test)', (signal) =>
      connection.client.chat.completions.create(
        { model: 'gpt-6-luna', temperature: 0.7, messages: [{ role: 'user', content: 'Say something about indexes.' }] },
        { signal },
      ),
    );
    await expect(attempt).rejects.toThrow(
      "OpenAI refused chat.completions (test) (400): Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is supported.",
    );
    expect(server.requests).toHaveLength(1);
  });

  it('fails at once on 429 insufficient_quota, saying to check billing', async () => {
    const ctx = await contextFor();
    server.failNext(429, { code: 'insufficient_quota', times: 5 });
    const attempt = createOpenAiWriter(spec, fast).plan(ctx);
    await expect(attempt).rejects.toMatchObject({ kind: 'quota', status: 429 });
    await expect(attempt).rejects.toThrow(
      /^OpenAI refused chat\.completions \(plan, gpt-6\.1-sol\): the account has no quota left \(429 insufficient_quota\): You exceeded your current quota, please check your plan and billing details\..*; check the plan and billing of the organization that owns OPENAI_API_KEY \(key OPENAI_API_KEY of Secret engineering-explained-openai\) \(https:\/\/platform\.openai\.com\/settings\/organization\/billing\), then retry the episode$/,
    );
    expect(server.requests.map((request) => request.status)).toEqual([429]);
  });

  it('names the shutdown date and the replacement when a retired model answers 404', async () => {
    const ctx = await contextFor();
    await expect(createOpenAiWriter({ ...spec, planModel: 'o4-mini' }, fast).plan(ctx)).rejects.toThrow(
      "OpenAI found nothing (404) for chat.completions (plan, o4-mini): The model `o4-mini` does not exist or you do not have access to it.; OpenAI shut o4-mini down on 2026-10-23: set the Channel's providers.llm model or planModel to gpt-5.6-terra",
    );
    expect(server.requests).toHaveLength(1);
  });

  it('runs the offline plan through the OpenAI script step', async () => {
    const ctx = await contextFor();
    const plan = await createOfflineWriter().plan(ctx);
    const script = await createOpenAiWriter(spec, fast).script(ctx, plan.value);
    expect(chatBodies()[0]!.response_format.json_schema.schema).toEqual(scriptSchema(plan.value.beats.map((beat) => beat.id)));
    expect(script.value.beats.map((beat) => beat.heading)).toEqual(plan.value.beats.map((beat) => beat.heading));
  });

  it('talks to a server without a key when the spec names its baseURL', async () => {
    const open = await startOpenAiServer({ apiKey: null });
    try {
      const ctx = await testContext({ env: {} });
      const plan = await createOpenAiWriter({ provider: 'openai', baseURL: open.url }, fast).plan(ctx);
      expect(plan.value.beats.length).toBeGreaterThan(0);
      expect(open.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await open.close();
    }
  });

  it('reaches a base URL an Episode named only at a public address, unless the allowlist names it', async () => {
    const ctx = await testContext({ env: {} });
    const untrusted = { ...fast, checkAddresses: true };
    const attempt = createOpenAiWriter({ provider: 'openai', baseURL: server.url }, untrusted).plan(ctx);
    await expect(attempt).rejects.toBeInstanceOf(NetworkPolicyError);
    await expect(attempt).rejects.toThrow(
      /^the llm baseURL http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions resolves to 127\.0\.0\.1, a loopback/,
    );
    expect(server.requests).toEqual([]);

    const allowed = await testContext({ env: { ACOG_ALLOW_PRIVATE_NETWORKS: '127.0.0.1', OPENAI_API_KEY: server.apiKey! } });
    const plan = await createOpenAiWriter({ provider: 'openai', baseURL: server.url }, untrusted).plan(allowed);
    expect(plan.value.beats.length).toBeGreaterThan(0);
  });

  it('needs OPENAI_API_KEY for OpenAI itself and says which Secret it comes from', async () => {
    const ctx = await testContext({ env: {} });
    const attempt = createOpenAiWriter(spec, fast).plan(ctx);
    await expect(attempt).rejects.toBeInstanceOf(ProviderConfigError);
    await expect(attempt).rejects.toThrow(
      'OPENAI_API_KEY is not set: the runner reads it from key OPENAI_API_KEY of Secret engineering-explained-openai',
    );
  });

  it('turns 401 into an error that names OPENAI_API_KEY and the Secret, without retrying', async () => {
    const ctx = await contextFor({ key: 'sk-wrong-key-0000' });
    const attempt = createOpenAiWriter(spec, fast).plan(ctx);
    await expect(attempt).rejects.toThrow(
      /OpenAI refused the credentials \(401\) for chat\.completions \(plan, gpt-6\.1-sol\): Incorrect API key provided: sk-\*+0000\..*; check OPENAI_API_KEY \(key OPENAI_API_KEY of Secret engineering-explained-openai\)/,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('waits as long as Retry-After asks on 429, then succeeds', async () => {
    const ctx = await contextFor();
    server.failNext(429, { retryAfter: 1 });
    const started = Date.now();
    const plan = await createOpenAiWriter(spec, fast).plan(ctx);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(plan.value.beats.length).toBeGreaterThan(0);
    expect(server.requests.map((request) => request.status)).toEqual([429, 200]);
    expect(ctx.lines.some((line) => /rate-limiting \(429\).*attempt 2 of 3 in 1\.0 s/.test(line))).toBe(true);
  });

  it('honours retry-after-ms', async () => {
    const ctx = await contextFor();
    server.failNext(429, { retryAfterMs: 300 });
    const started = Date.now();
    await createOpenAiWriter(spec, { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } }).plan(ctx);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(server.requests.map((request) => request.status)).toEqual([429, 200]);
  });

  it('retries 500 with backoff, then succeeds', async () => {
    const ctx = await contextFor();
    server.failNext(500, { times: 2 });
    const plan = await createOpenAiWriter(spec, fast).plan(ctx);
    expect(plan.value.title.length).toBeGreaterThan(0);
    expect(server.requests.map((request) => request.status)).toEqual([500, 500, 200]);
  });

  it('gives up on a persistent 503 after the bounded attempts', async () => {
    const ctx = await contextFor();
    server.failNext(503, { times: 50 });
    const attempt = createOpenAiWriter(spec, fast).plan(ctx);
    await expect(attempt).rejects.toBeInstanceOf(ProviderError);
    await expect(attempt).rejects.toThrow(
      'OpenAI failed (503) on chat.completions (plan, gpt-6.1-sol): The engine is currently overloaded, please try again later.',
    );
    expect(server.requests).toHaveLength(3);
  });

  it('says so clearly when the content is malformed JSON, a refusal or the wrong shape', async () => {
    const ctx = await contextFor();
    const writer = createOpenAiWriter(spec, fast);
    server.answerNext({ content: '{"title": "How indexes work", "hook": ' });
    await expect(writer.plan(ctx)).rejects.toThrow(
      /OpenAI \(gpt-6\.1-sol\) answered the plan step with malformed JSON \(.+\): \{"title": "How indexes work", "hook": /,
    );
    server.answerNext({ content: null, refusal: "I'm sorry, I can't help with that." });
    await expect(writer.plan(ctx)).rejects.toThrow("OpenAI (gpt-6.1-sol) refused to write the plan: I'm sorry, I can't help with that.");
    server.answerNext({ content: JSON.stringify({ title: 'x', hook: 'y', beats: [{ heading: 'h' }], outro: 'z', extra: 1 }) });
    await expect(writer.plan(ctx)).rejects.toThrow(/does not match its schema: \$\.beats\[0\]\.summary: missing; .*\$\.extra: not allowed/);
    expect(server.requests).toHaveLength(3);
  });

  it('asks again when the refined script misses the length, and keeps the answer that fits', async () => {
    const ctx = await contextFor();
    const writer = createOpenAiWriter(spec, fast);
    const plan = await writer.plan(ctx);
    const script = await writer.script(ctx, plan.value);
    server.answerNext({
      content: JSON.stringify({
        beats: script.value.beats.map((beat) => ({ id: beat.id, narration: 'Too short.' })),
        notes: ['Shortened.'],
      }),
    });
    const refined = await writer.refine(ctx, script.value);
    const refineBodies = chatBodies().filter((body) => body.response_format.json_schema.name === 'acog_refine');
    expect(refineBodies).toHaveLength(2);
    expect(refineBodies[1]!.messages.at(-1)!.content).toMatch(/^That script has \d+ words.*Lengthen it to about 150 words/);
    expect(refineBodies[1]!.messages.at(-2)!.role).toBe('assistant');
    expect(refined.value.wordCount).toBeGreaterThanOrEqual(135);
    expect(refined.usage.promptTokens).toBeGreaterThan(0);
  });

  it('refuses a refined script that mentions a banned topic', async () => {
    const episode = { ...exampleEpisode(), keyPoints: ['Politics decides which index gets built first'] };
    const ctx = await contextFor({ episode });
    const writer = createOpenAiWriter(spec, fast);
    const plan = await writer.plan(ctx);
    const script = await writer.script(ctx, plan.value);
    await expect(writer.refine(ctx, script.value)).rejects.toBeInstanceOf(BannedTopicError);
  });

  it('reports an unknown model as the server words it, without retrying', async () => {
    const ctx = await contextFor();
    await expect(createOpenAiWriter({ ...spec, planModel: 'gpt-unknown' }, fast).plan(ctx)).rejects.toThrow(
      'OpenAI found nothing (404) for chat.completions (plan, gpt-unknown): The model `gpt-unknown` does not exist or you do not have access to it.',
    );
    expect(server.requests).toHaveLength(1);
  });
});

describe('the OpenAI connection', () => {
  it('gets a 400 for a schema strict mode refuses, as a client error that is not retried', async () => {
    const ctx = await contextFor();
    const connection = connectOpenAi(ctx, {}, fast);
    const loose = {
      type: 'object',
      properties: { title: { type: 'string' }, note: { type: 'string' } },
      required: ['title'],
      additionalProperties: false,
    };
    const attempt = callOpenAi(connection, ctx, 'chat.completions (test)', (signal) =>
      connection.client.chat.completions.create(
        {
          model: 'gpt-6-luna',
          messages: [{ role: 'user', content: 'Say something about indexes in a sentence or two.' }],
          response_format: { type: 'json_schema', json_schema: { name: 'loose', strict: true, schema: loose } },
        },
        { signal },
      ),
    );
    await expect(attempt).rejects.toThrow(
      "OpenAI refused chat.completions (test) (400): Invalid schema for response_format 'loose': In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'note'.",
    );
    expect(server.requests).toHaveLength(1);
  });
});

describe('OpenAI writer: schemas, prices and plan clean-up', () => {
  it('has schemas that strict mode accepts', () => {
    for (const schema of [planSchema, scriptSchema(['beat-1']), refineSchema(['beat-1']), metadataSchema(['beat-1'])]) {
      expect(strictSchemaProblem(schema as unknown as Record<string, unknown>)).toBeUndefined();
    }
  });

  it('sends a temperature only when one is set and the model takes it', () => {
    expect(temperatureFor({ temperature: 0.7 }, 'gpt-4o-mini-2024-07-18')).toBe(0.7);
    expect(temperatureFor({ temperature: 0.7 }, 'gpt-6-luna')).toBeUndefined();
    expect(temperatureFor({ temperature: 0.7 }, 'llama3.1:8b')).toBe(0.7);
    expect(temperatureFor({}, 'gpt-4o')).toBeUndefined();
  });

  it('defaults to the models the CRD defaults to', () => {
    const { value, valid } = validateChannel({
      apiVersion: 'acog.dev/v1alpha1',
      kind: 'Channel',
      metadata: { name: 'defaults' },
      spec: {
        persona: { name: 'Ada', tone: 'calm', audience: 'engineers' },
        format: { aspectRatio: '16:9', targetDurationSeconds: 60 },
        providers: { llm: { provider: 'openai', secretRef: { name: 'openai' } } },
      },
    });
    expect(valid).toBe(true);
    const llm = value.spec.providers!.llm!;
    expect([llm.planModel, llm.model]).toEqual([DEFAULT_PLAN_MODEL, DEFAULT_MODEL]);
    expect(llm.temperature).toBeUndefined();
    // Current models on the day the catalog was checked: no notice period, no shutdown.
    const checked = new Date(`${providerCatalog('openai').checked}T00:00:00Z`);
    for (const model of [DEFAULT_PLAN_MODEL, DEFAULT_MODEL]) expect(modelLifecycle('openai', model, checked)).toEqual({ state: 'active' });
  });

  it('shares seconds so they add up to the target', () => {
    expect(shareSeconds([1, 1, 2], 60)).toEqual([15, 15, 30]);
    expect(shareSeconds([0, 0, 0], 30)).toEqual([10, 10, 10]);
    expect(shareSeconds([7, 7, 7], 10).reduce((sum, value) => sum + value, 0)).toBeCloseTo(10, 5);
  });

  it('gives a model plan stable ids, speakable text and B-roll for every beat', () => {
    const target = lengthTarget(exampleChannel(), exampleEpisode());
    const plan = normalisePlan(
      {
        title: ' Indexes\n explained ',
        hook: '**Ever waited** on a slow query?',
        beats: [
          { heading: '## The scan', summary: '- A full scan reads every row', points: [' rows '], brollCues: [], targetSeconds: 20 },
          {
            heading: 'B-trees',
            summary: 'Sorted keys.',
            points: [],
            brollCues: [{ description: 'tree diagram', keywords: [' tree ', ''] }],
            targetSeconds: 20,
          },
        ],
        outro: 'Subscribe!',
      },
      target,
    );
    expect(plan.title).toBe('Indexes explained');
    expect(plan.hook).toBe('Ever waited on a slow query?');
    expect(plan.beats.map((beat) => [beat.id, beat.heading, beat.summary, beat.targetSeconds])).toEqual([
      ['beat-1', 'The scan', 'A full scan reads every row.', 30],
      ['beat-2', 'B-trees', 'Sorted keys.', 30],
    ]);
    expect(plan.beats[0]!.brollCues[0]!.keywords.length).toBeGreaterThan(0);
    expect(plan.beats[1]!.brollCues).toEqual([{ description: 'tree diagram', keywords: ['tree'] }]);
  });
});
