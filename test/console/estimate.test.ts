// The estimate of an Episode before it is created: the gateway's route (what it refuses, naming
// the field; who may ask) and the new-episode form in Chromium (playwright-core), whose per-stage
// figures and total are estimateEpisode's — what `kubectl acog create --dry-run=client` prints —
// and follow the target duration as it is typed.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateEpisode, formatUSD, type Channel, type EpisodeSpec } from '@acog/api';
import { repoRoot } from '@acog/hack/paths';
import type { Gateway } from '@acog/console';
import { uniqueName } from '../support/env.ts';
import { prepareNamespace } from '../support/operator.ts';
import { apply, testChannel } from '../support/pipeline-objects.ts';
import { call, eventually, startTestGateway, token } from './support.ts';

type ErrorAnswer = { error: { status: number; reason: string; message: string; fields?: { field: string; message: string }[] } };
type EstimateAnswer = {
  channel: string;
  stages: { stage: string; provider: string; model?: string; costUSD: number; unpriced?: string }[];
  totalUSD: number;
  free: boolean;
};

const shots = join(repoRoot, 'test-results', 'console');
const namespace = uniqueName('console-estimate');
const paidName = 'paid';
const freeName = 'free';
let paid: Channel;
let gateway: Gateway;
let browser: Browser;
let page: Page;

const path = `/api/v1/namespaces/${namespace}/estimates`;

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  await promisify(execFile)(join(repoRoot, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error'], {
    cwd: join(repoRoot, 'console'),
  });
  await prepareNamespace(namespace);
  paid = await testChannel(paidName, (channel) => {
    channel.spec.format.targetDurationSeconds = 120;
    channel.spec.providers = {
      ...channel.spec.providers,
      llm: { provider: 'openai', secretRef: { name: 'paid-openai' } },
      voice: { provider: 'elevenlabs', voiceId: '21m00Tcm4TlvDq8ikWAM', secretRef: { name: 'paid-elevenlabs' } },
    };
  });
  await apply(namespace, paid);
  await apply(namespace, await testChannel(freeName));
  gateway = await startTestGateway({ staticDir: join(repoRoot, 'console', 'build') });
  await eventually(
    'the channels in the cache',
    () => gateway.cache.channel(namespace, paidName) && gateway.cache.channel(namespace, freeName),
  );
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
});

describe('POST /namespaces/:ns/estimates', () => {
  it("prices a spec with its Channel's providers, as estimateEpisode does", async () => {
    const spec = { channelRef: { name: paidName }, topic: 'How indexes work', overrides: { targetDurationSeconds: 300 } };
    const answer = await call<EstimateAnswer>(gateway, 'admin', 'POST', path, { spec });
    expect(answer.status).toBe(200);
    const expected = estimateEpisode(paid.spec, spec as EpisodeSpec);
    expect(answer.body.totalUSD).toBe(expected.totalUSD);
    expect(answer.body.totalUSD).toBeGreaterThan(0);
    expect(answer.body.free).toBe(false);
    expect(answer.body.stages.map((s) => [s.stage, s.costUSD])).toEqual(expected.stages.map((s) => [s.stage, s.costUSD]));
  });

  it('says a Channel of free providers is free: $0 per stage', async () => {
    const answer = await call<EstimateAnswer>(gateway, 'admin', 'POST', path, { spec: { channelRef: { name: freeName } } });
    expect(answer.status).toBe(200);
    expect(answer.body.free).toBe(true);
    expect(answer.body.totalUSD).toBe(0);
    expect(answer.body.stages.every((s) => s.costUSD === 0 && !s.unpriced)).toBe(true);
  });

  it('says which paid stage has no list price (a model it does not know), rather than a silent $0', async () => {
    const spec = { channelRef: { name: paidName }, overrides: { providers: { llm: { provider: 'openai', model: 'no-such-model' } } } };
    const answer = await call<EstimateAnswer>(gateway, 'admin', 'POST', path, { spec });
    expect(answer.status).toBe(200);
    const script = answer.body.stages.find((s) => s.stage === 'script')!;
    expect(script.costUSD).toBe(0);
    expect(script.unpriced).toBe('no list price is known for openai no-such-model');
    expect(answer.body.stages.find((s) => s.stage === 'voice')!.unpriced).toBeUndefined();
  });

  it('refuses bad input with a 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ spec: { channelRef: { name: paidName }, overrides: { targetDurationSeconds: 'ten' } } }, 'spec.overrides.targetDurationSeconds'],
      [{ spec: { channelRef: { name: paidName }, overrides: { targetDurationSeconds: 1 } } }, 'spec.overrides.targetDurationSeconds'],
      [{ spec: { channelRef: { name: 'Not_A_Name' } } }, 'spec.channelRef.name'],
      [{ spec: { topic: 'no channel' } }, 'spec.channelRef'],
      [{ spec: { channelRef: { name: paidName }, keyPoints: 'not a list' } }, 'spec.keyPoints'],
      [{ spec: { channelRef: { name: paidName }, references: 'https://example.com' } }, 'spec.references'],
      [{ spec: { channelRef: { name: paidName }, overrides: { providers: { llm: 'openai' } } } }, 'spec.overrides.providers.llm'],
      [{}, 'spec'],
    ];
    for (const [body, field] of cases) {
      const answer = await call<ErrorAnswer>(gateway, 'admin', 'POST', path, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.fields?.map((f) => f.field)).toContain(field);
      expect(answer.body.error.message).toContain(field);
    }
  });

  it('answers 404 for a Channel that does not exist, 403 to a user who may not get the Channel, 413 past the bound', async () => {
    const missing = await call<ErrorAnswer>(gateway, 'admin', 'POST', path, { spec: { channelRef: { name: 'nowhere' } } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/channel "nowhere" not found/);
    const editor = await call<ErrorAnswer>(gateway, 'editor', 'POST', path, { spec: { channelRef: { name: paidName } } });
    expect(editor.status).toBe(403);
    expect(editor.body.error.message).toMatch(/get channels/);
    const huge = await call<ErrorAnswer>(gateway, 'admin', 'POST', path, {
      spec: { channelRef: { name: paidName }, brief: 'x'.repeat(600 * 1024) },
    });
    expect(huge.status).toBe(413);
  });
});

describe('the new-episode form in Chromium', () => {
  it("shows the estimate per stage and in total, estimateEpisode's figures, following the target duration", async () => {
    await page.goto(`${gateway.url}/sign-in`);
    await page.getByLabel('Token').fill(token('admin'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/episodes$/);
    await page.goto(`${gateway.url}/episodes/new`);
    await page.getByLabel('Namespace').selectOption(namespace);
    await page.getByLabel('Channel').selectOption(paidName);
    const topic = 'How database indexes really work';
    await page.getByLabel('Topic').fill(topic);

    // What the form sends: the channel, the topic, private, the voice gate.
    const spec = (target?: number): EpisodeSpec =>
      ({
        channelRef: { name: paidName },
        topic,
        publish: { privacy: 'private' },
        approvalGates: ['voice'],
        ...(target ? { overrides: { targetDurationSeconds: target } } : {}),
      }) as EpisodeSpec;
    const total = () => page.getByTestId('estimate-total').textContent();
    const costs = () =>
      page
        .locator('[data-testid="estimate"] tbody tr')
        .evaluateAll((rows) => rows.map((row) => [row.getAttribute('data-stage'), row.querySelector('.cost')?.textContent]));

    const before = estimateEpisode(paid.spec, spec());
    await expect.poll(total).toBe(formatUSD(before.totalUSD));
    expect(before.totalUSD).toBeGreaterThan(0);
    await expect.poll(costs).toEqual(before.stages.map((s) => [s.stage, formatUSD(s.costUSD)]));
    expect(await page.locator('[data-stage="voice"] td').nth(1).textContent()).toBe('elevenlabs');
    expect(await page.locator('[data-stage="plan"] td').nth(1).textContent()).toBe('openai');
    await page.screenshot({ path: join(shots, 'estimate-paid.png'), fullPage: true });

    await page.getByLabel('Target duration, seconds (optional)').fill('600');
    const after = estimateEpisode(paid.spec, spec(600));
    expect(after.totalUSD).not.toBe(before.totalUSD);
    await expect.poll(total).toBe(formatUSD(after.totalUSD));
    await expect.poll(costs).toEqual(after.stages.map((s) => [s.stage, formatUSD(s.costUSD)]));

    await page.getByLabel('Channel').selectOption(freeName);
    await expect.poll(total).toBe('$0.00');
    await expect.poll(() => page.getByTestId('estimate-free').textContent()).toMatch(/providers of free are free/);
    await page.screenshot({ path: join(shots, 'estimate-free.png'), fullPage: true });
  });
});
