// The gateway's Pulse inbox (GET /api/v1/namespaces/:ns/pulse) and Jobs view (GET /api/v1/jobs)
// against the real API server and PostgreSQL, in a namespace no operator watches: the test writes
// the pulse rows the intake and the matching would write, the Episodes' status and the stage Jobs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Episode } from '@acog/api';
import { migrate, openDatabase, type Database } from '@acog/db';
import type { Gateway } from '@acog/console';
import { uniqueName } from '../support/env.ts';
import { prepareNamespace } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { insertPulseDecision, insertPulseEvent } from '../support/pulse-rows.ts';
import { createStageJob, patchStatus } from '../support/stage-state.ts';
import { call, eventually, startTestGateway } from './support.ts';

const ns = uniqueName('pulse-jobs');
const channel = 'science';
let db: Database;
let gateway: Gateway;
const at = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
const condition = (type: string, status: string, reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: at(-5),
});

async function episode(name: string, status: Record<string, unknown>, edit?: (e: Episode) => void): Promise<Episode> {
  const created = (await apply(ns, await testEpisode(name, channel, edit))) as unknown as Episode;
  await patchStatus(ns, 'episodes', name, status);
  return created;
}

beforeAll(async () => {
  const url = await createTestDatabase('pulse-jobs');
  db = openDatabase({ url });
  await migrate(db);
  await prepareNamespace(ns);
  await apply(ns, await testChannel(channel));
  // The editor may list Episodes in team-a only: a Channel there makes it a namespace with ACOG objects.
  await apply('team-a', await testChannel(uniqueName('pulse-jobs-a')));
  await episode(
    'science-e1',
    { phase: 'AwaitingApproval', currentStage: 'plan', stages: [{ name: 'plan', phase: 'AwaitingApproval' }] },
    (e) => (e.spec.approvalGates = ['plan']),
  );
  const backingOff = await episode('backing-off', {
    phase: 'Running',
    stages: [
      { name: 'plan', phase: 'Succeeded', attempt: 1 },
      {
        name: 'script',
        phase: 'Pending',
        attempt: 1,
        failures: 1,
        jobName: 'backing-off-script-1',
        finishedAt: at(-1),
        nextAttemptAt: at(10),
        message: 'openai answered 429: rate limited',
      },
    ],
  });
  await createStageJob(backingOff, 'script', 1, 'Failed', 'Job has reached the specified backoff limit');
  const budgetMessage = 'budget exceeded: voice (elevenlabs): $49.80 of $50.00 spent; the month ends in 3 days';
  await episode('over-budget', {
    phase: 'Pending',
    stages: [{ name: 'voice', phase: 'Pending', message: budgetMessage }],
    conditions: [condition('BudgetExceeded', 'True', 'MonthlyLimitReached', budgetMessage)],
  });
  await episode(
    'paused',
    { phase: 'Running', stages: [{ name: 'plan', phase: 'Pending', message: 'suspended: set spec.suspend to false to continue' }] },
    (e) => (e.spec.suspend = true),
  );
  const running = await episode('running', {
    phase: 'Running',
    stages: [{ name: 'plan', phase: 'Running', attempt: 1, jobName: 'running-plan-1', startedAt: at(-1) }],
  });
  await createStageJob(running, 'plan', 1, 'Running');

  for (const [id, score] of [
    ['e1', 0.9],
    ['e2', 0.4],
    ['e3', 0.8],
  ] as const)
    await insertPulseEvent(db.pool, {
      source: 'trends',
      id,
      title: `Trend ${id}`,
      url: `https://news.example/${id}`,
      score,
      keywords: ['physics'],
    });
  await insertPulseDecision(db.pool, {
    source: 'trends',
    eventId: 'e1',
    namespace: ns,
    channel,
    outcome: 'created',
    reason: 'Created',
    message: 'created Episode science-e1, waiting at plan for approval',
    episode: 'science-e1',
    decidedAt: at(-2),
  });
  await insertPulseDecision(db.pool, {
    source: 'trends',
    eventId: 'e2',
    namespace: ns,
    channel,
    outcome: 'skipped',
    reason: 'BelowMinScore',
    message: 'score 0.40 is below minScore 0.70',
    decidedAt: at(-3),
  });
  await insertPulseDecision(db.pool, {
    source: 'trends',
    eventId: 'e3',
    namespace: 'team-b',
    channel,
    outcome: 'created',
    reason: 'Created',
    message: 'created',
    episode: 'elsewhere',
  });
  gateway = await startTestGateway({ databaseUrl: url });
  await eventually('the cache to hold the test objects', () => gateway.cache.jobs.list().some((job) => job.metadata.namespace === ns));
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.close();
});

describe('GET /api/v1/namespaces/:ns/pulse', () => {
  it("lists the namespace's decisions with their events and the state of the Episode made, nothing of another namespace", async () => {
    const answer = await call<{ items: Record<string, unknown>[]; continue?: string }>(
      gateway,
      'viewer',
      'GET',
      `/api/v1/namespaces/${ns}/pulse`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.items.map((item) => item.id)).toEqual(['e1', 'e2']);
    expect(answer.body.items[0]).toMatchObject({
      source: 'trends',
      title: 'Trend e1',
      url: 'https://news.example/e1',
      score: 0.9,
      channel,
      outcome: 'created',
      reason: 'Created',
      episode: 'science-e1',
      episodeState: { exists: true, phase: 'AwaitingApproval', waitingGates: ['plan'], cancelled: false },
    });
    expect(answer.body.items[1]).toMatchObject({
      outcome: 'skipped',
      reason: 'BelowMinScore',
      message: 'score 0.40 is below minScore 0.70',
    });
    expect(answer.body.items[1]).not.toHaveProperty('episodeState');
  });

  it('pages with continue, and filters by Channel', async () => {
    const first = await call<{ items: { id: string }[]; continue?: string }>(
      gateway,
      'viewer',
      'GET',
      `/api/v1/namespaces/${ns}/pulse?limit=1`,
    );
    expect(first.body.items.map((item) => item.id)).toEqual(['e1']);
    expect(first.body.continue).toEqual(expect.any(String));
    const second = await call<{ items: { id: string }[]; continue?: string }>(
      gateway,
      'viewer',
      'GET',
      `/api/v1/namespaces/${ns}/pulse?limit=1&continue=${encodeURIComponent(first.body.continue!)}`,
    );
    expect(second.body.items.map((item) => item.id)).toEqual(['e2']);
    expect(second.body.continue).toBeUndefined();
    const none = await call<{ items: unknown[] }>(gateway, 'viewer', 'GET', `/api/v1/namespaces/${ns}/pulse?channel=history`);
    expect(none.body.items).toEqual([]);
  });

  it('refuses a user who may not list Episodes there, and bad parameters naming them', async () => {
    const refused = await call<{ error: { message: string } }>(gateway, 'editor', 'GET', `/api/v1/namespaces/${ns}/pulse`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(`may not list episodes.acog.dev in namespace ${ns}`);
    const badToken = await call<{ error: { message: string; fields: { field: string }[] } }>(
      gateway,
      'viewer',
      'GET',
      `/api/v1/namespaces/${ns}/pulse?continue=garbage`,
    );
    expect(badToken.status).toBe(400);
    expect(badToken.body.error.fields[0]!.field).toBe('continue');
    const badLimit = await call<{ error: { message: string } }>(gateway, 'viewer', 'GET', `/api/v1/namespaces/${ns}/pulse?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.error.message).toMatch(/limit: at least 1/);
  });
});

describe('GET /api/v1/jobs', () => {
  type Rows = { items: Record<string, unknown>[]; namespaces: string[] };

  it('shows running and recently failed Jobs, and waiting stages with why', async () => {
    const answer = await call<Rows>(gateway, 'viewer', 'GET', `/api/v1/jobs?namespace=${ns}`);
    expect(answer.status).toBe(200);
    expect(answer.body.namespaces).toEqual([ns]);
    const rows = answer.body.items;
    const keys = rows.map((row) => `${row.state}/${row.episode}/${row.stage}`);
    // Running first, then waiting, then failed.
    expect(keys[0]).toBe('Running/running/plan');
    expect(keys.slice(1, 5).sort()).toEqual([
      'Waiting/backing-off/script',
      'Waiting/over-budget/voice',
      'Waiting/paused/plan',
      'Waiting/science-e1/plan',
    ]);
    expect(keys.slice(5)).toEqual(['Failed/backing-off/script']);
    const find = (episode: string, state: string) => rows.find((row) => row.episode === episode && row.state === state)!;
    expect(find('running', 'Running')).toMatchObject({ channel, jobName: 'running-plan-1', attempt: 1, since: expect.any(String) });
    expect(find('science-e1', 'Waiting')).toMatchObject({
      waitingFor: 'Approval',
      message: expect.stringMatching(/approve science-e1 --stage plan/),
    });
    expect(find('backing-off', 'Waiting')).toMatchObject({
      waitingFor: 'Backoff',
      message: 'retrying after: openai answered 429: rate limited',
      until: expect.any(String),
    });
    expect(find('over-budget', 'Waiting')).toMatchObject({
      waitingFor: 'Budget',
      message: expect.stringMatching(/^budget exceeded: voice/),
    });
    expect(find('paused', 'Waiting')).toMatchObject({ waitingFor: 'Suspended' });
    expect(find('backing-off', 'Failed')).toMatchObject({
      jobName: 'backing-off-script-1',
      message: 'openai answered 429: rate limited',
    });
  });

  it('filters by state, stage and channel', async () => {
    const waiting = await call<Rows>(gateway, 'viewer', 'GET', `/api/v1/jobs?namespace=${ns}&state=Waiting&stage=plan`);
    expect(waiting.body.items.map((row) => row.episode).sort()).toEqual(['paused', 'science-e1']);
    const other = await call<Rows>(gateway, 'viewer', 'GET', `/api/v1/jobs?namespace=${ns}&channel=history`);
    expect(other.body.items).toEqual([]);
    const bad = await call<{ error: { message: string } }>(gateway, 'viewer', 'GET', `/api/v1/jobs?state=Sleeping`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/state/);
  });

  it('covers only the namespaces the user may list Episodes in', async () => {
    const all = await call<Rows>(gateway, 'editor', 'GET', `/api/v1/jobs`);
    expect(all.status).toBe(200);
    expect(all.body.namespaces).toEqual(['team-a']);
    expect(all.body.items.some((row) => row.namespace === ns)).toBe(false);
    const refused = await call<{ error: { message: string } }>(gateway, 'editor', 'GET', `/api/v1/jobs?namespace=${ns}`);
    expect(refused.status).toBe(403);
  });
});

describe('the OpenAPI document', () => {
  it('describes both routes with their parameters', async () => {
    const doc = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
    };
    const names = (path: string) => doc.paths[path]?.get?.parameters?.map((parameter) => parameter.name).sort();
    expect(names('/api/v1/namespaces/{namespace}/pulse')).toEqual(['channel', 'continue', 'limit', 'namespace']);
    expect(names('/api/v1/jobs')).toEqual(['channel', 'namespace', 'stage', 'state']);
  });
});
