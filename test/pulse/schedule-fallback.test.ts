// A schedule whose own topics run out takes the best pulse proposal its daily limit held back, with
// the real operator process (its clock driven by a file), the real gateway and PostgreSQL.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { GROUP, ORIGIN_LABEL, SCHEDULE_ORIGIN, VERSION, type Episode } from '@acog/api';
import type { Gateway } from '@acog/console';
import { migrate, openDatabase, type Database } from '@acog/db';
import { kubeConfig, uniqueName } from '../support/env.ts';
import { customApi, prepareNamespace, startOperatorProcess, type OperatorProcess } from '../support/operator.ts';
import { apply, testChannel } from '../support/pipeline-objects.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { eventually } from '../console/support.ts';
import { deliver, pulseEvent, startPulseGateway } from './support.ts';

const HOUR = 3_600_000;
const hourAfterNow = (hours: number) => new Date(Math.ceil(Date.now() / HOUR) * HOUR + hours * HOUR);
const stamp = (slot: Date) => slot.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');

let db: Database | undefined;
let gateway: Gateway | undefined;
let operator: OperatorProcess | undefined;
afterAll(async () => {
  await operator?.stop();
  await gateway?.stop();
  await db?.close();
});

describe('a schedule out of topics', () => {
  it('takes the best held-back pulse proposal, then the next, then says NoTopic', async () => {
    const namespace = uniqueName('pulse-sched');
    await prepareNamespace(namespace);
    const databaseUrl = await createTestDatabase('pulse-sched');
    db = openDatabase({ url: databaseUrl });
    await migrate(db);
    gateway = await startPulseGateway(databaseUrl, { trends: 'trends-secret' });
    const clockFile = join(await mkdtemp(join(tmpdir(), 'acog-clock-')), 'now');
    const setClock = (time: Date) => writeFile(clockFile, time.toISOString());
    await setClock(new Date());
    await apply(
      namespace,
      await testChannel('hourly', (channel) => {
        channel.spec.approvalGates = ['plan'];
        channel.spec.schedule = { cron: '0 * * * *', topics: ['The only listed topic'] };
        channel.spec.pulse = { enabled: true, rules: [{ source: 'trends', minScore: 0.5, maxEpisodesPerDay: 1 }] };
      }),
    );
    operator = await startOperatorProcess({ namespace, databaseUrl, extraArgs: ['--clock-file', clockFile] });
    await eventually(
      'the operator taking up the Channel',
      async () => (await db!.pool.query(`SELECT 1 FROM pulse_channels WHERE namespace = $1`, [namespace])).rowCount === 1,
      60_000,
    );
    // One delivery, so the order is known: the first becomes the day's pulse Episode, the other two
    // are held back by maxEpisodesPerDay; one is below minScore and is no proposal.
    const events = [
      pulseEvent('made', { title: 'Made into an Episode today', score: 0.6 }),
      pulseEvent('second', { title: 'A good second proposal', score: 0.7 }),
      pulseEvent('best', { title: 'The best proposal of all', score: 0.9 }),
      pulseEvent('low', { title: 'Too weak a trend', score: 0.1 }),
    ];
    expect((await deliver(gateway.url, 'trends-secret', events)).status).toBe(202);
    await eventually(
      'the decisions',
      async () => (await db!.pool.query(`SELECT 1 FROM pulse_decisions WHERE namespace = $1`, [namespace])).rowCount === 4,
      30_000,
    );
    const reasons = await db.pool.query(`SELECT event_id, reason FROM pulse_decisions WHERE namespace = $1 ORDER BY event_id`, [namespace]);
    expect(reasons.rows).toEqual([
      { event_id: 'best', reason: 'DailyLimitReached' },
      { event_id: 'low', reason: 'BelowMinScore' },
      { event_id: 'made', reason: 'Created' },
      { event_id: 'second', reason: 'DailyLimitReached' },
    ]);

    const scheduledTopic = async (slot: Date) => {
      await setClock(new Date(slot.getTime() + 30_000));
      const name = `hourly-${stamp(slot)}`;
      const episode = await eventually(
        `the Episode of ${slot.toISOString()}`,
        async () => {
          const list = (await customApi().listNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            plural: 'episodes',
            namespace,
            labelSelector: `${ORIGIN_LABEL}=${SCHEDULE_ORIGIN}`,
          })) as { items: Episode[] };
          return list.items.find((e) => e.metadata.name === name);
        },
        30_000,
      );
      return episode.spec.topic;
    };
    const [h1, h2, h3, h4] = [hourAfterNow(1), hourAfterNow(2), hourAfterNow(3), hourAfterNow(4)];
    expect(await scheduledTopic(h1)).toBe('The only listed topic');
    expect(await scheduledTopic(h2)).toBe('The best proposal of all');
    expect(await scheduledTopic(h3)).toBe('A good second proposal');
    // Nothing left: no Episode, a NoTopic Warning.
    await setClock(new Date(h4.getTime() + 30_000));
    await eventually(
      'the NoTopic Event',
      async () => {
        const list = await kubeConfig()
          .makeApiClient(CoreV1Api)
          .listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=hourly' });
        return list.items.some((event) => event.reason === 'NoTopic' && event.message?.includes(h4.toISOString()));
      },
      30_000,
    );
  }, 240_000);
});
