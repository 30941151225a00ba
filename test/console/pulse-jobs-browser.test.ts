// The console's Pulse inbox and Jobs view in Debian's Chromium (playwright-core), against the real
// gateway, API server and PostgreSQL, in a namespace no operator watches: the test writes the pulse
// rows the intake and the matching would write, and plays the operator's part in the Episodes'
// status and stage Jobs. Accept and dismiss go through the gateway's Episode actions to the API
// server; the lists follow the changes live; axe-core finds no serious or critical violation.
// Screenshots go to test-results/console/ for review.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, VERSION, type Episode } from '@acog/api';
import { migrate, openDatabase, type Database } from '@acog/db';
import { repoRoot } from '@acog/hack/paths';
import type { Gateway } from '@acog/console';
import type { UserRole } from '@acog/hack/local-env';
import { kubeConfig, uniqueName } from '../support/env.ts';
import { prepareNamespace } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { insertPulseDecision, insertPulseEvent } from '../support/pulse-rows.ts';
import { createStageJob, patchStatus } from '../support/stage-state.ts';
import { expectNoSeriousViolations } from './axe.ts';
import { startTestGateway, token } from './support.ts';

const shots = join(repoRoot, 'test-results', 'console');
const ns = uniqueName('pulse-ui');
const channel = 'science';
let db: Database;
let gateway: Gateway;
let browser: Browser;

/** How long a poll waits for what the gateway and the stream bring: the machine is shared and may be slow. */
const LIVE = { timeout: 20_000 };

const awaitingPlan = { phase: 'AwaitingApproval', currentStage: 'plan', stages: [{ name: 'plan', phase: 'AwaitingApproval' }] };

async function readEpisode(name: string): Promise<Episode> {
  return (await kubeConfig()
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: 'episodes', name })) as Episode;
}

async function signedIn(user: UserRole, path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${gateway.url}${path}`);
  await page.waitForURL(/\/sign-in/);
  await page.getByLabel('Token').fill(token(user));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === path.split('?')[0]);
  return page;
}

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  await promisify(execFile)(join(repoRoot, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error'], {
    cwd: join(repoRoot, 'console'),
  });
  const url = await createTestDatabase('pulse-ui');
  db = openDatabase({ url });
  await migrate(db);
  await prepareNamespace(ns);
  await apply(ns, await testChannel(channel));
  for (const name of ['science-rust', 'science-quantum']) {
    await apply(ns, await testEpisode(name, channel, (e) => (e.spec.approvalGates = ['plan'])));
    await patchStatus(ns, 'episodes', name, awaitingPlan);
  }
  const events = [
    { id: 'rust', title: 'Rust 2.0 is announced', score: 0.93, episode: 'science-rust' },
    { id: 'quantum', title: 'A quantum computer factors 21 again', score: 0.81, episode: 'science-quantum' },
    { id: 'gossip', title: 'Celebrity gossip of the day', score: 0.35 },
  ];
  for (const [n, event] of events.entries()) {
    await insertPulseEvent(db.pool, {
      source: 'trends',
      id: event.id,
      title: event.title,
      url: `https://news.example/${event.id}`,
      summary: `About ${event.id}`,
      score: event.score,
      keywords: [event.id],
    });
    await insertPulseDecision(db.pool, {
      source: 'trends',
      eventId: event.id,
      namespace: ns,
      channel,
      outcome: event.episode ? 'created' : 'skipped',
      reason: event.episode ? 'Created' : 'NoKeywordMatched',
      message: event.episode
        ? `created Episode ${event.episode}, waiting at plan for approval`
        : 'no keyword of the rule (rust, quantum) in the title, summary or keywords',
      episode: event.episode,
      decidedAt: new Date(Date.now() - (n + 1) * 60_000).toISOString(),
    });
  }
  gateway = await startTestGateway({ databaseUrl: url, staticDir: join(repoRoot, 'console', 'build') });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await db?.close();
});

describe('the Pulse inbox in Chromium', () => {
  it('shows each event with its score, link and decision; accept approves the plan gate, dismiss cancels, live', async () => {
    const page = await signedIn('admin', `/pulse?namespace=${ns}`);
    const row = (id: string) => page.locator(`[data-testid="pulse-row"][data-event="trends/${id}"]`);
    await expect.poll(() => page.getByTestId('pulse-row').count(), LIVE).toBe(3);
    expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual([channel]);
    expect(await row('rust').getByRole('link', { name: 'Rust 2.0 is announced' }).getAttribute('href')).toBe('https://news.example/rust');
    expect(await row('rust').getByRole('meter').getAttribute('aria-label')).toBe('score 0.93');
    expect(await row('gossip').getByTestId('reason').textContent()).toBe('NoKeywordMatched');
    expect(await row('gossip').getByTestId('message').textContent()).toMatch(/no keyword of the rule/);
    expect(await row('gossip').getByRole('button').count()).toBe(0);
    expect(await row('rust').getByTestId('episode-status').textContent()).toBe('awaiting your decision');
    await expectNoSeriousViolations(page, 'the Pulse inbox');
    await page.screenshot({ path: join(shots, 'pulse-01-inbox.png'), fullPage: true });

    // Accept: the plan gate is approved on the Episode, by the gateway's approve action.
    await row('rust').getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => page.getByTestId('notice').textContent(), LIVE).toMatch(/^science-rust: /);
    await expect
      .poll(async () => (await readEpisode('science-rust')).metadata.annotations?.['approve.acog.dev/plan'], LIVE)
      .toEqual(expect.any(String));
    // The operator's part: the plan runs. The inbox follows without a reload.
    await patchStatus(ns, 'episodes', 'science-rust', {
      phase: 'Running',
      currentStage: 'plan',
      stages: [{ name: 'plan', phase: 'Running', attempt: 1 }],
    });
    await expect.poll(() => row('rust').getByTestId('episode-status').textContent(), LIVE).toBe('Running');
    expect(await row('rust').getByRole('button').count()).toBe(0);

    // Dismiss: the Episode is cancelled.
    await row('quantum').getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(async () => (await readEpisode('science-quantum')).spec.cancel, LIVE).toBe(true);
    await expect.poll(() => row('quantum').getByTestId('episode-status').textContent(), LIVE).toBe('dismissed');
    await page.screenshot({ path: join(shots, 'pulse-02-decided.png'), fullPage: true });
    await page.close();
  });

  it('disables accept and dismiss with the reason for a user who may not change Episodes', async () => {
    await apply(ns, await testEpisode('science-late', channel, (e) => (e.spec.approvalGates = ['plan'])));
    await patchStatus(ns, 'episodes', 'science-late', awaitingPlan);
    await insertPulseEvent(db.pool, { source: 'trends', id: 'late', title: 'A late trend', url: 'https://news.example/late', score: 0.9 });
    await insertPulseDecision(db.pool, {
      source: 'trends',
      eventId: 'late',
      namespace: ns,
      channel,
      outcome: 'created',
      reason: 'Created',
      message: 'created Episode science-late, waiting at plan for approval',
      episode: 'science-late',
    });
    const page = await signedIn('viewer', `/pulse?namespace=${ns}`);
    const late = page.locator('[data-testid="pulse-row"][data-event="trends/late"]');
    await expect.poll(() => late.getByRole('button', { name: 'Accept' }).isDisabled(), LIVE).toBe(true);
    expect(await late.getByRole('button', { name: 'Dismiss' }).isDisabled()).toBe(true);
    expect(await late.getByTestId('why').textContent()).toBe(`you may not patch episodes in namespace ${ns}`);
    await expectNoSeriousViolations(page, 'the Pulse inbox as a viewer');
    await page.close();
  });
});

describe('the Jobs view in Chromium', () => {
  it('lists running, waiting (with why) and failed stages, filters them, and follows changes live', async () => {
    await apply(ns, await testEpisode('retrying', channel));
    const retrying = await readEpisode('retrying');
    await createStageJob(retrying, 'script', 1, 'Failed');
    await patchStatus(ns, 'episodes', 'retrying', {
      phase: 'Running',
      stages: [
        { name: 'plan', phase: 'Succeeded', attempt: 1 },
        {
          name: 'script',
          phase: 'Pending',
          attempt: 1,
          failures: 1,
          jobName: 'retrying-script-1',
          finishedAt: new Date().toISOString(),
          nextAttemptAt: new Date(Date.now() + 600_000).toISOString(),
          message: 'openai answered 429: rate limited',
        },
      ],
    });
    const page = await signedIn('viewer', `/jobs?namespace=${ns}`);
    const row = (state: string, episode: string) =>
      page.locator(`[data-testid="job-row"][data-state="${state}"][data-episode="${episode}"]`);
    await expect.poll(() => row('Failed', 'retrying').count(), LIVE).toBe(1);
    expect(await row('Failed', 'retrying').getByTestId('job-message').textContent()).toMatch(/openai answered 429: rate limited/);
    expect(await row('Waiting', 'retrying').getByTestId('waiting-for').textContent()).toBe('retry backoff');
    expect(await row('Waiting', 'retrying').textContent()).toMatch(/next attempt in \d+ min/);
    // science-late waits at its plan gate (the first test left it so); science-quantum is cancelled: not listed.
    expect(await row('Waiting', 'science-late').getByTestId('waiting-for').textContent()).toBe('approval');
    expect(await row('Waiting', 'science-quantum').count()).toBe(0);
    await expectNoSeriousViolations(page, 'the Jobs view');
    await page.screenshot({ path: join(shots, 'jobs-01-all.png'), fullPage: true });

    // Live: the operator starts the next attempt; the page follows without a reload.
    const attemptTwo = await createStageJob(retrying, 'script', 2, 'Running');
    await patchStatus(ns, 'episodes', 'retrying', {
      stages: [
        { name: 'plan', phase: 'Succeeded', attempt: 1 },
        { name: 'script', phase: 'Running', attempt: 2, failures: 1, jobName: attemptTwo, startedAt: new Date().toISOString() },
      ],
    });
    await expect.poll(() => row('Running', 'retrying').count(), LIVE).toBe(1);
    expect(await row('Waiting', 'retrying').count()).toBe(0);

    // Filters, kept in the address.
    await page.getByLabel('State').selectOption('Waiting');
    const states = async () => [
      ...new Set(await page.getByTestId('job-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')))),
    ];
    await expect.poll(states, LIVE).toEqual(['Waiting']);
    expect(await row('Waiting', 'science-late').count()).toBe(1);
    await expect.poll(() => new URL(page.url()).searchParams.get('state'), LIVE).toBe('Waiting');
    await page.getByLabel('Stage').selectOption('voice');
    await expect.poll(() => page.getByTestId('jobs-empty').isVisible(), LIVE).toBe(true);
    await page.screenshot({ path: join(shots, 'jobs-02-filtered.png'), fullPage: true });
    await page.close();
  });
});
