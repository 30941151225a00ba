import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.ts';
import { openDatabase, type Database } from '../database.ts';
import { migrate } from '../migrate.ts';
import { Ledger, type LedgerEntry, type ReservationRequest } from './ledger.ts';

let db: Database;
let ledger: Ledger;
const others: Database[] = [];

beforeAll(async () => {
  const url = await createTestDatabase('ledger');
  db = openDatabase({ url });
  await migrate(db);
  ledger = new Ledger(db);
  // Separate pools play separate operator replicas.
  for (let i = 0; i < 3; i++) others.push(openDatabase({ url }));
});
afterAll(async () => {
  for (const other of others) await other.close();
  await db?.close();
});

const entry = (over: Partial<LedgerEntry>): LedgerEntry => ({
  namespace: 'ns',
  channel: 'tech',
  episode: 'ep-1',
  episodeUid: 'uid-1',
  stage: 'plan',
  attempt: 1,
  outcome: 'Succeeded',
  provider: 'openai',
  model: 'gpt-4o',
  usage: { promptTokens: 1200, completionTokens: 800 },
  costUSD: 0.011,
  finishedAt: new Date('2026-12-07T10:00:00Z'),
  month: '2026-12',
  ...over,
});

const request = (over: Partial<ReservationRequest>): ReservationRequest => ({
  namespace: 'ns',
  channel: 'tech',
  episode: 'ep',
  episodeUid: 'uid',
  stage: 'plan',
  attempt: 1,
  month: '2026-12',
  estimateUSD: 1,
  limitUSD: 10,
  ...over,
});

describe('Ledger.record', () => {
  it('keeps one row per (episode uid, stage, attempt), however often and from however many writers', async () => {
    const rows = [
      entry({}),
      entry({ stage: 'script', costUSD: 0.002 }),
      entry({ stage: 'script', attempt: 2, outcome: 'Failed', costUSD: 0 }),
    ];
    const written = await Promise.all([ledger.record(rows), ...others.map((other) => new Ledger(other).record(rows))]);
    expect(written.reduce((a, b) => a + b, 0)).toBe(3);
    expect(await ledger.record(rows)).toBe(0);
    const { rows: stored } = await db.pool.query(
      `SELECT stage, attempt, outcome, provider, model, input_tokens, output_tokens, cost_usd::text, month, usage
       FROM ledger WHERE episode_uid = 'uid-1' ORDER BY stage, attempt`,
    );
    expect(stored).toEqual([
      {
        stage: 'plan',
        attempt: 1,
        outcome: 'Succeeded',
        provider: 'openai',
        model: 'gpt-4o',
        input_tokens: '1200',
        output_tokens: '800',
        cost_usd: '0.011000',
        month: '2026-12',
        usage: { promptTokens: 1200, completionTokens: 800 },
      },
      expect.objectContaining({ stage: 'script', attempt: 1, cost_usd: '0.002000' }),
      expect.objectContaining({ stage: 'script', attempt: 2, outcome: 'Failed', cost_usd: '0.000000' }),
    ]);
    expect(await ledger.recordedAttempts('uid-1')).toEqual([
      { episodeUid: 'uid-1', stage: 'plan', attempt: 1 },
      { episodeUid: 'uid-1', stage: 'script', attempt: 1 },
      { episodeUid: 'uid-1', stage: 'script', attempt: 2 },
    ]);
  });

  it('refuses a month that is not YYYY-MM, and a negative cost, naming the column', async () => {
    await expect(ledger.record([entry({ episodeUid: 'bad', month: '2026-13' })])).rejects.toThrow(/ledger_month_check/);
    await expect(ledger.record([entry({ episodeUid: 'bad', costUSD: -1 })])).rejects.toThrow(/ledger_cost_usd_check/);
  });
});

describe('Ledger.reserve', () => {
  it('lets exactly as many concurrent attempts through as the budget has room for, across replicas', async () => {
    const channel = 'race';
    // Room for three estimates of $1 after $2 already spent: 2 + 3 × 1 = 5.
    await ledger.record([entry({ channel, episodeUid: 'spent', costUSD: 2 })]);
    const pools = [ledger, ...others.map((other) => new Ledger(other))];
    const decisions = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        pools[i % pools.length].reserve(request({ channel, episodeUid: `race-${i}`, episode: `ep-${i}`, limitUSD: 5 })),
      ),
    );
    expect(decisions.filter((decision) => decision.granted)).toHaveLength(3);
    const refused = decisions.filter((decision) => !decision.granted);
    expect(refused).toHaveLength(9);
    for (const decision of refused) expect(decision).toEqual({ granted: false, actualUSD: 2, reservedUSD: 3, estimateUSD: 1, limitUSD: 5 });
    expect(await ledger.channelSpend('ns', channel, '2026-12')).toEqual({ month: '2026-12', actualUSD: 2, reservedUSD: 3 });
  });

  it('grants an attempt that holds a reservation, or is recorded, again; recording releases the reservation', async () => {
    const channel = 'again';
    expect((await ledger.reserve(request({ channel, episodeUid: 'a', limitUSD: 1 }))).granted).toBe(true);
    // The same attempt asks again (the operator restarted before creating its Job): still granted.
    expect((await ledger.reserve(request({ channel, episodeUid: 'a', limitUSD: 1 }))).granted).toBe(true);
    expect((await ledger.reserve(request({ channel, episodeUid: 'b', limitUSD: 1 }))).granted).toBe(false);
    await ledger.record([entry({ channel, episodeUid: 'a', costUSD: 0.25 })]);
    expect(await ledger.channelSpend('ns', channel, '2026-12')).toEqual({ month: '2026-12', actualUSD: 0.25, reservedUSD: 0 });
    expect((await ledger.reserve(request({ channel, episodeUid: 'a', limitUSD: 0 }))).granted).toBe(true);
    const next = await ledger.reserve(request({ channel, episodeUid: 'b', estimateUSD: 0.75, limitUSD: 1 }));
    expect(next).toEqual({ granted: true, actualUSD: 0.25, reservedUSD: 0, estimateUSD: 0.75, limitUSD: 1 });
  });

  it("counts only the month's spend: a new month starts from nothing, but running reservations still count", async () => {
    const channel = 'months';
    await ledger.record([
      entry({ channel, episodeUid: 'nov', costUSD: 9, month: '2026-11', finishedAt: new Date('2026-11-30T12:00:00Z') }),
    ]);
    expect((await ledger.reserve(request({ channel, episodeUid: 'r', estimateUSD: 4, limitUSD: 10, month: '2026-12' }))).granted).toBe(
      true,
    );
    const refused = await ledger.reserve(request({ channel, episodeUid: 's', estimateUSD: 7, limitUSD: 10, month: '2026-12' }));
    expect(refused).toEqual({ granted: false, actualUSD: 0, reservedUSD: 4, estimateUSD: 7, limitUSD: 10 });
  });

  it('releases abandoned reservations, never those still running or too young', async () => {
    const channel = 'abandoned';
    for (const uid of ['run', 'gone']) await ledger.reserve(request({ channel, episodeUid: uid, limitUSD: 10 }));
    expect(await ledger.releaseAbandoned('ns', channel, [], 60_000)).toBe(0);
    expect(await ledger.releaseAbandoned('ns', channel, [{ episodeUid: 'run', stage: 'plan', attempt: 1 }], 0)).toBe(1);
    expect(await ledger.channelSpend('ns', channel, '2026-12')).toEqual({ month: '2026-12', actualUSD: 0, reservedUSD: 1 });
  });
});

describe('spend queries', () => {
  it('sum per channel and month, and per stage and provider', async () => {
    const namespace = 'spend';
    await ledger.record([
      entry({ namespace, channel: 'a', episodeUid: 's1', stage: 'plan', costUSD: 0.5 }),
      entry({ namespace, channel: 'a', episodeUid: 's1', stage: 'voice', provider: 'elevenlabs', costUSD: 1.25 }),
      entry({ namespace, channel: 'a', episodeUid: 's2', stage: 'plan', costUSD: 0.5, month: '2026-11' }),
      entry({ namespace, channel: 'b', episodeUid: 's3', stage: 'plan', costUSD: 2 }),
    ]);
    expect(await ledger.monthlySpend(namespace, ['2026-11', '2026-12'])).toEqual([
      { namespace, channel: 'a', month: '2026-11', actualUSD: 0.5, attempts: 1 },
      { namespace, channel: 'a', month: '2026-12', actualUSD: 1.75, attempts: 2 },
      { namespace, channel: 'b', month: '2026-12', actualUSD: 2, attempts: 1 },
    ]);
    expect(await ledger.spendByStageAndProvider(namespace, '2026-12', 'a')).toEqual([
      { channel: 'a', stage: 'plan', provider: 'openai', actualUSD: 0.5, attempts: 1 },
      { channel: 'a', stage: 'voice', provider: 'elevenlabs', actualUSD: 1.25, attempts: 1 },
    ]);
  });
});

describe('Ledger.reserve without a budget', () => {
  it('always grants, and still holds the estimate as reserve', async () => {
    const channel = 'unlimited';
    await ledger.record([entry({ channel, episodeUid: 'u0', costUSD: 500 })]);
    expect(await ledger.reserve(request({ channel, episodeUid: 'u1', estimateUSD: 100, limitUSD: null }))).toEqual({
      granted: true,
      actualUSD: 500,
      reservedUSD: 0,
      estimateUSD: 100,
      limitUSD: null,
    });
    expect(await ledger.channelSpend('ns', channel, '2026-12')).toEqual({ month: '2026-12', actualUSD: 500, reservedUSD: 100 });
  });
});
