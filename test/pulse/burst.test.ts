// 1000 pulse events in a burst through the real gateway into the real PostgreSQL, matched by the
// real operator process against 3 Channels, with the operator killed mid-burst and started again:
// exactly the Episodes the rules allow, each Channel's daily limits held, every (event, Channel)
// decided once with its reason, and no Episode made twice. The expected counts follow from how
// the events are built (below), not from what the operator did.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GROUP,
  ORIGIN_LABEL,
  PULSE_EVENT_ANNOTATION,
  PULSE_ORIGIN,
  PULSE_RULE_ANNOTATION,
  VERSION,
  type Channel,
  type Episode,
  type PulseEvent,
} from '@acog/api';
import type { Gateway } from '@acog/console';
import { migrate, openDatabase, type Database } from '@acog/db';
import { archiveEpisodes } from '@acog/db/archive';
import { uniqueName } from '../support/env.ts';
import { customApi, getChannel, prepareNamespace, startOperatorProcess, type OperatorProcess } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { eventually } from '../console/support.ts';
import { deliver, pulseEvent, startPulseGateway } from './support.ts';

const SECRETS = { trends: 'trends-secret', news: 'news-secret' };
const COVERED_URL = 'https://covered.example.com/live';
const ARCHIVED_URL = 'https://covered.example.com/archived';
const COVERED_TITLE = 'Quantum computing reaches a new milestone';

/**
 * The burst, 1000 events: 100 from news, 900 from trends. Titles are unique and differ from each
 * other in at least two words of five, so no event covers another by title.
 */
function burst(): PulseEvent[] {
  const events: PulseEvent[] = [];
  const add = (count: number, source: 'news' | 'trends', make: (k: number) => Partial<PulseEvent>) => {
    for (let k = 0; k < count; k++) {
      const id = `${source}-${events.length}`;
      events.push(pulseEvent(id, { source, url: `https://news.example.com/${id}`, ...make(k) }));
    }
  };
  add(10, 'news', (k) => ({ title: `AI policy story number ${k}`, score: 0.6 }));
  add(90, 'news', (k) => ({ title: `Market report number ${k}`, score: 0.6 }));
  add(40, 'trends', (k) => ({ title: `Release notes number ${k}`, keywords: ['Rust'], score: 0.6 }));
  add(10, 'trends', (k) => ({ title: `Rust weekly number ${k}`, score: 0.3 }));
  add(20, 'trends', (k) => ({ title: `Big story number ${k}`, score: 0.95 }));
  add(3, 'trends', (k) => ({ title: `Covered link number ${k}`, url: `${COVERED_URL}?utm_source=feed${k}`, score: 0.95 }));
  add(2, 'trends', (k) => ({ title: k === 0 ? `${COVERED_TITLE}!` : `${COVERED_TITLE} today`, score: 0.95 }));
  add(2, 'trends', (k) => ({ title: `Archived link number ${k}`, url: k === 0 ? ARCHIVED_URL : `${ARCHIVED_URL}/`, score: 0.95 }));
  add(15, 'trends', (k) => ({ title: `AI chips story number ${k}`, summary: 'Accelerators for training', score: 0.5 }));
  add(5, 'trends', (k) => ({ title: `What the analyst said number ${k}`, score: 0.5 }));
  add(803, 'trends', (k) => ({ title: `Filler item number ${k}`, score: 0.2 }));
  return events;
}

/** What the rules below must decide, per Channel and reason. */
const EXPECTED: Record<'a' | 'b' | 'c', Record<string, number>> = {
  // trends + "rust" + score >= 0.5, 3 a day: 40 match, 10 score too low; everything else of trends lacks the word.
  a: { Created: 3, DailyLimitReached: 37, BelowMinScore: 10, NoKeywordMatched: 850, SourceNotInRules: 100 },
  // trends, any topic, score >= 0.9, 50 a day: 27 reach the score, 7 of them covered (3 by URL of a
  // live Episode, 2 by its title, 2 by URL of an archived one).
  b: { Created: 20, AlreadyCovered: 7, BelowMinScore: 873, SourceNotInRules: 100 },
  // news + "ai" (2 a day) and trends + "ai" (4 a day): 10 and 15 match; "said" is not "ai".
  c: { Created: 6, DailyLimitReached: 19, NoKeywordMatched: 975 },
};

let db: Database;
let gateway: Gateway;
let namespace: string;
let databaseUrl: string;
let clockFile: string;
const operators: OperatorProcess[] = [];
const names = { a: 'pulse-a', b: 'pulse-b', c: 'pulse-c' };

async function pulseChannel(name: string, rules: NonNullable<Channel['spec']['pulse']>['rules']): Promise<void> {
  await apply(
    namespace,
    await testChannel(name, (channel) => {
      // Nothing runs: every Episode waits at plan, whatever its rule says.
      channel.spec.approvalGates = ['plan'];
      channel.spec.pulse = { enabled: true, rules };
    }),
  );
}

const startOperator = async () => {
  const operator = await startOperatorProcess({ namespace, databaseUrl, extraArgs: ['--clock-file', clockFile] });
  operators.push(operator);
  return operator;
};

beforeAll(async () => {
  namespace = uniqueName('pulse-burst');
  await prepareNamespace(namespace);
  databaseUrl = await createTestDatabase('pulse-burst');
  db = openDatabase({ url: databaseUrl });
  await migrate(db);
  clockFile = join(await mkdtemp(join(tmpdir(), 'acog-clock-')), 'now');
  await writeFile(clockFile, '2026-12-07T12:00:00Z');
  gateway = await startPulseGateway(databaseUrl, SECRETS);
  await pulseChannel(names.a, [{ source: 'trends', keywords: ['rust'], minScore: 0.5, maxEpisodesPerDay: 3 }]);
  await pulseChannel(names.b, [{ source: 'trends', minScore: 0.9, maxEpisodesPerDay: 50 }]);
  await pulseChannel(names.c, [
    { source: 'news', keywords: ['AI'], minScore: 0.5, maxEpisodesPerDay: 2 },
    { source: 'trends', keywords: ['ai'], minScore: 0.3, maxEpisodesPerDay: 4, requireApproval: false },
  ]);
  // What Channel b covered already: a live Episode (by hand) and an archived one.
  await apply(
    namespace,
    await testEpisode('b-by-hand', names.b, (episode) => {
      episode.spec.topic = COVERED_TITLE;
      episode.spec.references = [{ url: COVERED_URL }];
    }),
  );
  await archiveEpisodes(db.pool, [
    {
      uid: `${namespace}-archived`,
      namespace,
      channel: names.b,
      name: 'b-archived',
      phase: 'Succeeded',
      topic: 'Gardening in winter',
      labels: {},
      object: { spec: { topic: 'Gardening in winter', references: [{ url: ARCHIVED_URL }] } },
      totalCostUSD: 0,
      resourceVersion: '1',
      finishedAt: '2026-12-01T00:00:00Z',
    },
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all(operators.map((operator) => operator.stop()));
  await gateway?.stop();
  await db?.close();
});

async function pulseEpisodes(): Promise<Episode[]> {
  const list = (await customApi().listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: 'episodes',
    namespace,
    labelSelector: `${ORIGIN_LABEL}=${PULSE_ORIGIN}`,
  })) as { items: Episode[] };
  return list.items;
}

async function decisionCounts(channel: string): Promise<Record<string, number>> {
  const result = await db.pool.query(
    `SELECT reason, count(*)::int AS n FROM pulse_decisions WHERE namespace = $1 AND channel = $2 GROUP BY reason`,
    [namespace, channel],
  );
  return Object.fromEntries(result.rows.map((row: { reason: string; n: number }) => [row.reason, row.n]));
}

describe('a burst of 1000 pulse events across 3 Channels', () => {
  it('makes exactly the Episodes the rules allow, once, through an operator restart mid-burst', async () => {
    const operator = await startOperator();
    // The Channels are taken up (Ready, and their cursors made) before the burst: events from before
    // a Channel's pulse is on are not its to match.
    await eventually(
      'the operator taking up the 3 Channels',
      async () => (await db.pool.query(`SELECT 1 FROM pulse_channels WHERE namespace = $1`, [namespace])).rowCount === 3,
      60_000,
    );
    for (const name of Object.values(names))
      expect((await getChannel(namespace, name)).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    const events = burst();
    const bySource = (source: string) => events.filter((event) => event.source === source);
    const deliveries = [...chunks(bySource('news'), 50), ...chunks(bySource('trends'), 50)];
    // Four senders at a time; the operator is killed when half the deliveries are in.
    const answers: number[] = [];
    const send = async (batch: PulseEvent[]) => {
      const answer = await deliver(gateway.url, SECRETS[batch[0]!.source as 'trends' | 'news'], batch);
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      answers.push(answer.body.accepted as number);
    };
    const half = Math.floor(deliveries.length / 2);
    for (let i = 0; i < half; i += 4) await Promise.all(deliveries.slice(i, Math.min(i + 4, half)).map(send));
    await eventually(
      'some decisions before the kill',
      async () => (await db.pool.query(`SELECT 1 FROM pulse_decisions WHERE namespace = $1 LIMIT 1`, [namespace])).rowCount === 1,
      30_000,
    );
    operator.kill();
    for (let i = half; i < deliveries.length; i += 4) await Promise.all(deliveries.slice(i, i + 4).map(send));
    expect(answers.reduce((a, b) => a + b, 0)).toBe(1000);
    await startOperator();

    await eventually(
      'every (event, Channel) decided',
      async () =>
        Number((await db.pool.query(`SELECT count(*) AS n FROM pulse_decisions WHERE namespace = $1`, [namespace])).rows[0].n) === 3000,
      120_000,
    );
    expect(await decisionCounts(names.a)).toEqual(EXPECTED.a);
    expect(await decisionCounts(names.b)).toEqual(EXPECTED.b);
    expect(await decisionCounts(names.c)).toEqual(EXPECTED.c);

    // The Episodes are exactly the Created decisions: one each, none twice.
    const episodes = await pulseEpisodes();
    const created = await db.pool.query(
      `SELECT channel, source, event_id, episode, rule_index FROM pulse_decisions WHERE namespace = $1 AND outcome = 'created'`,
      [namespace],
    );
    expect(episodes.length).toBe(EXPECTED.a.Created! + EXPECTED.b.Created! + EXPECTED.c.Created!);
    expect(episodes.map((e) => e.metadata.name).sort()).toEqual(created.rows.map((row: { episode: string }) => row.episode).sort());
    const byName = new Map(episodes.map((episode) => [episode.metadata.name!, episode]));
    for (const row of created.rows as { channel: string; source: string; event_id: string; episode: string; rule_index: number }[]) {
      const episode = byName.get(row.episode)!;
      const event = events.find((e) => e.source === row.source && e.id === row.event_id)!;
      expect(episode.spec.channelRef.name).toBe(row.channel);
      expect(episode.metadata.annotations?.[PULSE_EVENT_ANNOTATION]).toBe(`${row.source}/${row.event_id}`);
      expect(episode.metadata.annotations?.[PULSE_RULE_ANNOTATION]).toBe(String(row.rule_index));
      expect(episode.spec.topic).toBe(event.title);
      expect(episode.spec.references).toEqual([{ title: event.title, url: event.url }]);
      expect(episode.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Channel', name: row.channel, controller: true });
      // Rule 1 of channel c does not ask for approval; every other rule does.
      const approval = !(row.channel === names.c && row.rule_index === 1);
      expect(episode.spec.approvalGates ?? [], row.episode).toEqual(approval ? ['plan'] : []);
    }
    // The daily limits, per rule.
    const perRule = (channel: string, rule: number) =>
      (created.rows as { channel: string; rule_index: number }[]).filter((row) => row.channel === channel && row.rule_index === rule)
        .length;
    expect([perRule(names.a, 0), perRule(names.b, 0), perRule(names.c, 0), perRule(names.c, 1)]).toEqual([3, 20, 2, 4]);

    // Nothing is spent before a person agrees: each waits at plan.
    await eventually(
      'every pulse Episode waiting at plan',
      async () =>
        (await pulseEpisodes()).every((episode) => episode.status?.phase === 'AwaitingApproval' && episode.status.currentStage === 'plan'),
      60_000,
    );

    // The whole burst again: every event a duplicate, nothing new decided or made.
    for (const batch of deliveries)
      expect(await deliver(gateway.url, SECRETS[batch[0]!.source as 'trends' | 'news'], batch)).toEqual({
        status: 200,
        body: { accepted: 0, duplicates: batch.length },
      });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await pulseEpisodes()).length).toBe(episodes.length);
    expect(Number((await db.pool.query(`SELECT count(*) AS n FROM pulse_decisions WHERE namespace = $1`, [namespace])).rows[0].n)).toBe(
      3000,
    );
  }, 300_000);
});

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}
