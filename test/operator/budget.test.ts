// Budgets that hold and a ledger that loses nothing, with the real operator, API server, runners
// and PostgreSQL: ten Episodes racing for a budget with room for three paid stages; PostgreSQL
// stopped while Episodes run (free stages go on, paid ones wait, everything converges and the
// ledger is complete); the operator killed between stages' ends and their ledger writes (exactly
// one row each); the month turning in the Channel's timezone under an injected clock.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetMonth, estimateStage, formatUSD, GROUP, LABELS, nextMonthStart, VERSION, type Channel, type SkipStages } from '@acog/api';
import { openDatabase, type Database } from '@acog/db';
import { Ledger } from '@acog/db/ledger';
import { startPostgres, type PostgresService } from '@acog/hack/local-env/services/postgres';
import { findCondition } from '@acog/kube';
import { createLogger } from '@acog/kube/logger';
import { checkRunnerConfig, startOperator, type Operator } from '@acog/operator';
import { S3ArtifactStore } from '@acog/store/s3';
import { kubeConfig, localEnv, uniqueName } from '../support/env.ts';
import { NodeHarness } from '../support/node-harness.ts';
import {
  getChannel,
  getEpisode,
  prepareNamespace,
  runnerConfig,
  startOperatorProcess,
  waitForEpisode,
  type OperatorProcess,
} from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { startOpenAiServer, type OpenAiServer } from '../provider-servers/openai.ts';

// plan → script → refine → (metadata ∥ voice): paid writing stages with OpenAI, free speech (espeak).
const LIGHT: SkipStages = ['avatar', 'broll', 'assemble', 'upload'];
const OPENAI_KEY = 'sk-test-budget';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

async function openAiSecret(namespace: string): Promise<void> {
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({ namespace, body: { metadata: { name: 'openai' }, stringData: { OPENAI_API_KEY: OPENAI_KEY } } });
}

function paidChannel(name: string, edit?: (channel: Channel) => void, baseURL?: string): Promise<Channel> {
  return testChannel(name, (channel) => {
    channel.spec.providers = {
      ...channel.spec.providers,
      llm: { provider: 'openai', model: 'gpt-4o-mini', planModel: 'gpt-4o', secretRef: { name: 'openai' }, ...(baseURL && { baseURL }) },
    };
    edit?.(channel);
  });
}

function lightEpisode(name: string, channel: string) {
  return testEpisode(name, channel, (episode) => (episode.spec.overrides = { skipStages: LIGHT }));
}

async function planJobs(namespace: string): Promise<string[]> {
  const list = (await kubeConfig()
    .makeApiClient(CustomObjectsApi)
    .listNamespacedCustomObject({ group: 'batch', version: 'v1', plural: 'jobs', namespace, labelSelector: `${LABELS.stage}=plan` })) as {
    items: { metadata: { labels: Record<string, string> } }[];
  };
  return list.items.map((job) => job.metadata.labels[LABELS.episode]);
}

async function patchChannelSpec(namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await kubeConfig()
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'channels', namespace, name, body: { spec } }, mergePatch);
}

async function budgetEvents(namespace: string): Promise<{ name: string; message: string }[]> {
  const events = await kubeConfig().makeApiClient(CoreV1Api).listNamespacedEvent({ namespace });
  return events.items
    .filter((event) => event.reason === 'BudgetExceeded' && event.involvedObject.kind === 'Episode')
    .map((event) => ({ name: event.involvedObject.name!, message: event.message ?? '' }));
}

describe('ten Episodes of one Channel whose budget has room for three paid stages', () => {
  const namespace = uniqueName('budget-race');
  let harness: NodeHarness;
  let operator: OperatorProcess | undefined;
  let databaseUrl: string;

  beforeAll(async () => {
    await prepareNamespace(namespace);
    await openAiSecret(namespace);
    databaseUrl = await createTestDatabase('budget_race');
    // A node without room: Jobs are made but never run, so no stage ends and frees its reserve.
    harness = new NodeHarness({ kubeConfig: kubeConfig(), namespace, mode: 'process', slots: 0 });
    await harness.start();
    operator = await startOperatorProcess({ namespace, databaseUrl });
  });
  afterAll(async () => {
    await harness?.stop();
    await operator?.stop();
  });

  it(
    'exactly three start, the rest wait with BudgetExceeded naming spend, reserve and limit, and all go on once the limit is raised',
    { timeout: 240_000 },
    async () => {
      const stored = (await apply(namespace, await paidChannel('race'))) as unknown as Channel;
      const episodes = await Promise.all(Array.from({ length: 10 }, (_, i) => lightEpisode(`race-${i}`, 'race')));
      // Every Episode has the same topic and brief, so the same estimate for plan.
      const planUSD = estimateStage('plan', stored.spec, episodes[0].spec).costUSD;
      expect(planUSD).toBeGreaterThan(0);
      const limit = Math.round(planUSD * 3.5 * 1e6) / 1e6;
      await patchChannelSpec(namespace, 'race', { budget: { monthlyLimitUSD: limit, onExceeded: 'Pause' } });
      await until('the Channel to be checked with its budget', async () => {
        const channel = await getChannel(namespace, 'race');
        return channel.status?.spend?.limitUSD === limit && findCondition(channel.status.conditions, 'Ready')?.status === 'True';
      });

      await Promise.all(episodes.map((episode) => apply(namespace, episode)));
      const decided = await until(
        'every Episode to start plan or wait for the budget',
        async () => {
          const all = await Promise.all(episodes.map((episode) => getEpisode(namespace, episode.metadata.name!)));
          const jobs = await planJobs(namespace);
          const held = all.filter((episode) => findCondition(episode.status?.conditions, 'BudgetExceeded')?.status === 'True');
          return jobs.length + held.length >= 10 && { jobs, held };
        },
        90_000,
      );
      // Give late starters a moment: none may come.
      await sleep(2_000);
      expect((await planJobs(namespace)).sort()).toEqual(decided.jobs.sort());
      expect(decided.jobs).toHaveLength(3);
      expect(decided.held).toHaveLength(7);
      for (const episode of decided.held) {
        const condition = findCondition(episode.status?.conditions, 'BudgetExceeded')!;
        expect(condition.reason).toBe('MonthlyLimitReached');
        expect(condition.message).toContain('budget exceeded: plan (openai): month-to-date spend $0.00 + reserve of running paid stages');
        expect(condition.message).toContain(`reserve of running paid stages ${formatUSD(planUSD * 3)}`);
        expect(condition.message).toContain(`is more than the monthly limit ${formatUSD(limit)} of channel "race"`);
        expect(condition.message).toContain('or when spec.budget.monthlyLimitUSD is raised');
        expect(episode.status?.stages?.find((stage) => stage.name === 'plan')).toMatchObject({ phase: 'Pending' });
        expect(decided.jobs).not.toContain(episode.metadata.name);
      }
      const events = await until('the BudgetExceeded Events', async () => {
        const found = await budgetEvents(namespace);
        return new Set(found.map((event) => event.name)).size >= 7 && found;
      });
      expect(events[0].message).toMatch(/^plan waits: budget exceeded/);
      const channel = await until('the Channel to show the reserve', async () => {
        const current = await getChannel(namespace, 'race');
        return Math.abs((current.status?.spend?.reservedUSD ?? 0) - planUSD * 3) < 1e-6 && current;
      });
      expect(channel.status?.spend).toMatchObject({ actualUSD: 0, limitUSD: limit, month: expect.stringMatching(/^\d{4}-\d{2}$/) });

      await patchChannelSpec(namespace, 'race', { budget: { monthlyLimitUSD: 100, onExceeded: 'Pause' } });
      const all = await until(
        'all ten to start plan',
        async () => (await planJobs(namespace)).length === 10 && (await planJobs(namespace)),
      );
      expect(all.sort()).toEqual(episodes.map((episode) => episode.metadata.name!).sort());
      await until('BudgetExceeded to clear', async () => {
        const now = await Promise.all(episodes.map((episode) => getEpisode(namespace, episode.metadata.name!)));
        return now.every((episode) => findCondition(episode.status?.conditions, 'BudgetExceeded')?.status !== 'True');
      });
      const db = openDatabase({ url: databaseUrl });
      try {
        const { rows } = await db.pool.query<{ count: string }>(`SELECT count(*) FROM budget_reservations WHERE namespace = $1`, [
          namespace,
        ]);
        expect(Number(rows[0].count)).toBe(10);
      } finally {
        await db.close();
      }
    },
  );
});

describe('PostgreSQL stopped mid-run, and the operator killed between stages ending and their ledger writes', () => {
  const namespace = uniqueName('budget-pg');
  let harness: NodeHarness;
  let operator: OperatorProcess | undefined;
  let postgres: PostgresService;
  let openai: OpenAiServer;
  let db: Database | undefined;

  beforeAll(async () => {
    await prepareNamespace(namespace);
    await openAiSecret(namespace);
    openai = await startOpenAiServer({ apiKey: OPENAI_KEY });
    // A PostgreSQL of this test's own, so that it can be stopped.
    postgres = await startPostgres(localEnv().binaries.postgresBin, await mkdtemp(join(tmpdir(), 'acog-budget-pg-')));
    harness = new NodeHarness({ kubeConfig: kubeConfig(), namespace, mode: 'process', slots: 4 });
    await harness.start();
  });
  afterAll(async () => {
    await harness?.stop();
    await operator?.stop();
    await db?.close();
    await postgres?.process.stop();
    await openai?.close();
  });

  it(
    'free stages finish, paid stages wait with LedgerUnavailable, everything converges, and the ledger has exactly one row per attempt',
    { timeout: 900_000 },
    async () => {
      operator = await startOperatorProcess({ namespace, databaseUrl: postgres.url });
      // The operator migrates its database at start.
      await until('the operator to migrate', async () => {
        const client = new pg.Client({ connectionString: postgres.url });
        await client.connect();
        try {
          return (await client.query('SELECT count(*) FROM ledger')).rowCount === 1;
        } finally {
          await client.end();
        }
      });
      await postgres.process.stop();

      await apply(namespace, await testChannel('free'));
      await apply(namespace, await paidChannel('paid', undefined, openai.url));
      await apply(namespace, await lightEpisode('free-1', 'free'));
      await apply(namespace, await lightEpisode('paid-1', 'paid'));

      const free = await waitForEpisode(namespace, 'free-1', (episode) => episode.status?.phase === 'Succeeded', {
        timeoutMs: 240_000,
        operator,
      });
      expect(free.status?.progress).toBe('5/5');
      const paid = await waitForEpisode(
        namespace,
        'paid-1',
        (episode) => findCondition(episode.status?.conditions, 'LedgerUnavailable')?.status === 'True',
        { operator },
      );
      expect(findCondition(paid.status?.conditions, 'LedgerUnavailable')?.message).toMatch(
        /^the cost ledger \(PostgreSQL\) cannot be reached .*: paid stage plan waits so that no budget is bypassed; free stages go on$/,
      );
      expect(paid.status?.stages?.find((stage) => stage.name === 'plan')).toMatchObject({ phase: 'Pending' });
      expect(await planJobs(namespace)).toEqual(['free-1']);
      expect(openai.requests).toEqual([]);

      // Every stage of free-1 has ended; none of its ledger writes could be made. The operator dies now.
      operator.kill();
      await operator.stop();
      await postgres.restart();
      operator = await startOperatorProcess({ namespace, databaseUrl: postgres.url });

      const done = await waitForEpisode(namespace, 'paid-1', (episode) => episode.status?.phase === 'Succeeded', {
        timeoutMs: 300_000,
        operator,
      });
      expect(findCondition(done.status?.conditions, 'LedgerUnavailable')).toMatchObject({ status: 'False', reason: 'DatabaseReachable' });
      expect(openai.requests.length).toBeGreaterThan(0);

      db = openDatabase({ url: postgres.url });
      const episodes = [await getEpisode(namespace, 'free-1'), await getEpisode(namespace, 'paid-1')];
      const expected = episodes.flatMap((episode) =>
        (episode.status?.stages ?? [])
          .filter((stage) => stage.attempt)
          .flatMap((stage) => Array.from({ length: stage.attempt! }, (_, i) => `${episode.metadata.uid}/${stage.name}/${i + 1}`)),
      );
      expect(expected.length).toBeGreaterThanOrEqual(10);
      const rows = await until('the ledger to be complete', async () => {
        const { rows } = await db!.pool.query<{
          key: string;
          episode: string;
          stage: string;
          outcome: string;
          provider: string;
          cost: string;
        }>(
          `SELECT episode_uid || '/' || stage || '/' || attempt AS key, episode, stage, outcome, provider, cost_usd::float8 AS cost
         FROM ledger WHERE namespace = $1 ORDER BY key`,
          [namespace],
        );
        return rows.length >= expected.length && rows;
      });
      // Exactly one row per attempt: none lost, none twice.
      expect(rows.map((row) => row.key).sort()).toEqual([...expected].sort());
      for (const episode of episodes)
        for (const stage of episode.status?.stages ?? []) {
          if (stage.phase !== 'Succeeded') continue;
          const row = rows.find((r) => r.key === `${episode.metadata.uid}/${stage.name}/${stage.attempt}`)!;
          expect({ stage: row.stage, outcome: row.outcome, provider: row.provider, cost: Number(row.cost) }).toEqual({
            stage: stage.name,
            outcome: 'Succeeded',
            provider: stage.provider,
            cost: stage.costUSD,
          });
        }
      const paidCost = rows.filter((row) => row.episode === 'paid-1').reduce((sum, row) => sum + Number(row.cost), 0);
      expect(paidCost).toBeGreaterThan(0);
      expect(rows.filter((row) => row.episode === 'free-1').every((row) => Number(row.cost) === 0)).toBe(true);
      const { rows: reservations } = await db.pool.query('SELECT * FROM budget_reservations WHERE namespace = $1', [namespace]);
      expect(reservations).toEqual([]);
      const channel = await until('the paid Channel to show its spend', async () => {
        const current = await getChannel(namespace, 'paid');
        return Math.abs((current.status?.spend?.actualUSD ?? 0) - paidCost) < 1e-6 && current;
      });
      expect(channel.status?.spend?.reservedUSD).toBe(0);
    },
  );
});

describe("the month turning in the Channel's timezone, with an injected clock", () => {
  const namespace = uniqueName('budget-month');
  const timezone = 'Pacific/Auckland';
  let harness: NodeHarness;
  let operator: Operator | undefined;
  let db: Database | undefined;

  beforeAll(async () => {
    await prepareNamespace(namespace);
    await openAiSecret(namespace);
    harness = new NodeHarness({ kubeConfig: kubeConfig(), namespace, mode: 'process', slots: 0 });
    await harness.start();
  });
  afterAll(async () => {
    await harness?.stop();
    await operator?.stop();
    await db?.close();
  });

  it('a paid stage held for the budget starts by itself when the month turns there', { timeout: 120_000 }, async () => {
    db = openDatabase({ url: await createTestDatabase('budget_month') });
    let offset = 0;
    const now = () => new Date(Date.now() + offset);

    const env = localEnv();
    operator = await startOperator({
      kubeConfig: kubeConfig(),
      namespaces: [namespace],
      runner: checkRunnerConfig(runnerConfig()),
      natsUrl: env.nats.url,
      store: new S3ArtifactStore({
        endpoint: env.s3.endpoint,
        region: env.s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
      }),
      workers: 2,
      resyncMs: 300_000,
      log: createLogger('warn'),
      database: db,
      now,
    });
    await operator.databaseReady();
    // From here the operator's clock runs from eight seconds before midnight of the 1st in Auckland.
    const turn = nextMonthStart(new Date(), timezone);
    offset = turn.getTime() - 8_000 - Date.now();
    const oldMonth = budgetMonth(now(), timezone);
    const newMonth = budgetMonth(turn, timezone);
    expect(newMonth).not.toBe(oldMonth);
    // This month's spend already at the limit.
    await new Ledger(db).record([
      {
        namespace,
        channel: 'monthly',
        episode: 'earlier',
        episodeUid: 'earlier-uid',
        stage: 'plan',
        attempt: 1,
        outcome: 'Succeeded',
        provider: 'openai',
        usage: {},
        costUSD: 1,
        finishedAt: now(),
        month: oldMonth,
      },
    ]);
    await apply(
      namespace,
      await paidChannel('monthly', (channel) => {
        channel.spec.budget = { monthlyLimitUSD: 1, onExceeded: 'Pause' };
        channel.spec.schedule = { cron: '0 9 1 1 *', timezone, suspend: true };
      }),
    );
    await apply(namespace, await lightEpisode('monthly-1', 'monthly'));

    const held = await waitForEpisode(
      namespace,
      'monthly-1',
      (episode) => findCondition(episode.status?.conditions, 'BudgetExceeded')?.status === 'True',
      {
        timeoutMs: 30_000,
      },
    );
    expect(Date.now() + offset).toBeLessThan(turn.getTime());
    const message = findCondition(held.status?.conditions, 'BudgetExceeded')!.message;
    expect(message).toContain(`month-to-date spend $1.00`);
    expect(message).toContain(`of channel "monthly" (${oldMonth}, ${timezone})`);
    expect(message).toContain(`it starts when the month turns (${turn.toISOString()})`);
    expect(await planJobs(namespace)).toEqual([]);
    const channel = await getChannel(namespace, 'monthly');
    expect(channel.status?.spend).toMatchObject({ month: oldMonth, actualUSD: 1, limitUSD: 1 });

    // No one touches anything: the operator looks again when the month turns, by its own clock.
    const started = await waitForEpisode(
      namespace,
      'monthly-1',
      (episode) => episode.status?.stages?.find((s) => s.name === 'plan')?.phase === 'Running',
      {
        timeoutMs: 30_000,
      },
    );
    expect(Date.now() + offset).toBeGreaterThanOrEqual(turn.getTime());
    expect(findCondition(started.status?.conditions, 'BudgetExceeded')).toMatchObject({ status: 'False', reason: 'WithinBudget' });
    expect(await planJobs(namespace)).toEqual(['monthly-1']);
    await until(
      'the Channel to show the new month',
      async () => (await getChannel(namespace, 'monthly')).status?.spend?.month === newMonth,
    );
    expect((await getChannel(namespace, 'monthly')).status?.spend).toMatchObject({ month: newMonth, actualUSD: 0 });
  });
});
