// Channels that run on a schedule, with the real operator process against the real API server. The
// operator reads its time from a clock file (--clock-file) that the tests set: ticks are driven,
// never waited for. Episodes stop at a plan approval gate, so they stay unfinished until a person
// (the test) cancels them, and no stage runs.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { GROUP, ORIGIN_LABEL, SCHEDULE_ORIGIN, SCHEDULE_SLOT_ANNOTATION, VERSION, type Channel, type Episode } from '@acog/api';
import { kubeConfig, uniqueName } from '../support/env.ts';
import { customApi, getChannel, getEpisode, prepareNamespace, startOperatorProcess, type OperatorProcess } from '../support/operator.ts';
import { apply, patchEpisode, testChannel } from '../support/pipeline-objects.ts';

const TOPICS = Array.from({ length: 12 }, (_, i) => `Scheduled topic number ${i + 1}`);
const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The next full hour after now plus `hours`, in UTC: a slot of an hourly cron later than any Channel made now. */
function hourAfterNow(hours: number): Date {
  return new Date(Math.ceil(Date.now() / HOUR) * HOUR + hours * HOUR);
}

/** "20271231-0900": the slot part of a scheduled Episode's name. */
const stamp = (slot: Date) => slot.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');

const running: OperatorProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((operator) => operator.stop()));
});

interface Setup {
  namespace: string;
  clockFile: string;
  setClock(time: Date | string): Promise<void>;
  start(options?: { identity?: string; waitReady?: boolean }): Promise<OperatorProcess>;
}

async function setup(prefix: string, startAt: Date = new Date()): Promise<Setup> {
  const namespace = uniqueName(prefix);
  await prepareNamespace(namespace);
  const clockFile = join(await mkdtemp(join(tmpdir(), 'acog-clock-')), 'now');
  const setClock = (time: Date | string) => writeFile(clockFile, typeof time === 'string' ? time : time.toISOString());
  await setClock(startAt);
  return {
    namespace,
    clockFile,
    setClock,
    async start(options = {}) {
      const operator = await startOperatorProcess({
        namespace,
        identity: options.identity,
        waitReady: options.waitReady,
        extraArgs: ['--clock-file', clockFile],
      });
      running.push(operator);
      return operator;
    },
  };
}

async function scheduledChannel(namespace: string, name: string, schedule: NonNullable<Channel['spec']['schedule']>): Promise<void> {
  await apply(
    namespace,
    await testChannel(name, (channel) => {
      channel.spec.approvalGates = ['plan'];
      channel.spec.schedule = { topics: TOPICS, ...schedule };
    }),
  );
}

async function scheduledEpisodes(namespace: string): Promise<Episode[]> {
  const list = (await customApi().listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: 'episodes',
    namespace,
    labelSelector: `${ORIGIN_LABEL}=${SCHEDULE_ORIGIN}`,
  })) as { items: Episode[] };
  return list.items.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
}

async function eventReasons(namespace: string, object: string): Promise<string[]> {
  const events = await kubeConfig()
    .makeApiClient(CoreV1Api)
    .listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${object}` });
  return events.items.map((event) => event.reason ?? '');
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  operator?: OperatorProcess,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${operator ? `; operator log:\n${await operator.logs(40)}` : ''}`);
    await sleep(200);
  }
}

const episodeNamed = (namespace: string, name: string) => async () =>
  (await scheduledEpisodes(namespace)).find((e) => e.metadata.name === name);

describe('a schedule with concurrencyPolicy Allow', () => {
  it('makes one Episode per slot with the next topic, owned by the Channel, and says NoTopic when none is left', async () => {
    const env = await setup('sched-allow');
    await scheduledChannel(env.namespace, 'hourly', { cron: '0 * * * *', topics: TOPICS.slice(0, 2) });
    const operator = await env.start();
    const channel = await getChannel(env.namespace, 'hourly');
    const [h1, h2, h3] = [hourAfterNow(1), hourAfterNow(2), hourAfterNow(3)];

    await env.setClock(new Date(h1.getTime() + 30_000));
    const first = await eventually('the first slot’s Episode', episodeNamed(env.namespace, `hourly-${stamp(h1)}`), operator);
    expect(first.spec).toEqual({ channelRef: { name: 'hourly' }, topic: TOPICS[0], suspend: false, cancel: false });
    expect(first.metadata.labels?.[ORIGIN_LABEL]).toBe('schedule');
    expect(first.metadata.annotations?.[SCHEDULE_SLOT_ANNOTATION]).toBe(h1.toISOString());
    expect(first.metadata.ownerReferences).toEqual([
      { apiVersion: 'acog.dev/v1alpha1', kind: 'Channel', name: 'hourly', uid: channel.metadata.uid, controller: true },
    ]);
    const recorded = await eventually(
      'status.schedule',
      async () => {
        const status = (await getChannel(env.namespace, 'hourly')).status?.schedule;
        return status?.lastEpisode === first.metadata.name && status;
      },
      operator,
    );
    expect(recorded).toEqual({
      lastScheduleTime: h1.toISOString(),
      lastEpisode: `hourly-${stamp(h1)}`,
      nextScheduleTime: h2.toISOString(),
      topicsUsed: [TOPICS[0]],
    });

    // Allow: the first is still waiting at its gate, and the second comes anyway.
    await env.setClock(new Date(h2.getTime() + 5_000));
    const second = await eventually('the second slot’s Episode', episodeNamed(env.namespace, `hourly-${stamp(h2)}`), operator);
    expect(second.spec.topic).toBe(TOPICS[1]);
    expect((await getEpisode(env.namespace, first.metadata.name!)).status?.phase).toBe('AwaitingApproval');

    await env.setClock(new Date(h3.getTime() + 5_000));
    await eventually('a NoTopic Event', async () => (await eventReasons(env.namespace, 'hourly')).includes('NoTopic'), operator);
    const events = await kubeConfig()
      .makeApiClient(CoreV1Api)
      .listNamespacedEvent({ namespace: env.namespace, fieldSelector: 'reason=NoTopic' });
    expect(events.items[0].type).toBe('Warning');
    expect(events.items[0].message).toContain('add topics to spec.schedule.topics');
    expect((await scheduledEpisodes(env.namespace)).map((e) => e.metadata.name)).toEqual([`hourly-${stamp(h1)}`, `hourly-${stamp(h2)}`]);
    const status = await eventually(
      'the next time after h3',
      async () => {
        const s = (await getChannel(env.namespace, 'hourly')).status?.schedule;
        return s?.nextScheduleTime === hourAfterNow(4).toISOString() && s;
      },
      operator,
    );
    expect(status.lastEpisode).toBe(`hourly-${stamp(h2)}`);
  });
});

describe('concurrencyPolicy Forbid and Replace', () => {
  it('Forbid: no Episode while the previous one is unfinished; the held slot starts once it is cancelled', async () => {
    const env = await setup('sched-forbid');
    await scheduledChannel(env.namespace, 'strict', { cron: '0 * * * *', concurrencyPolicy: 'Forbid' });
    const operator = await env.start();
    const [h1, h2] = [hourAfterNow(1), hourAfterNow(2)];
    await env.setClock(new Date(h1.getTime() + 1_000));
    await eventually('the first Episode', episodeNamed(env.namespace, `strict-${stamp(h1)}`), operator);

    await env.setClock(new Date(h2.getTime() + 1_000));
    await eventually(
      'an AlreadyActive Event',
      async () => (await eventReasons(env.namespace, 'strict')).includes('AlreadyActive'),
      operator,
    );
    expect((await scheduledEpisodes(env.namespace)).map((e) => e.metadata.name)).toEqual([`strict-${stamp(h1)}`]);

    // A person cancels the first; when it is Cancelled, the held slot starts.
    await patchEpisode(env.namespace, `strict-${stamp(h1)}`, { spec: { cancel: true } });
    const late = await eventually('the held slot’s Episode', episodeNamed(env.namespace, `strict-${stamp(h2)}`), operator);
    expect(late.spec.topic).toBe(TOPICS[1]);
    expect((await getEpisode(env.namespace, `strict-${stamp(h1)}`)).status?.phase).toBe('Cancelled');
  });

  it('Replace: the unfinished previous Episode is cancelled and the new one made', async () => {
    const env = await setup('sched-replace');
    await scheduledChannel(env.namespace, 'fresh', { cron: '0 * * * *', concurrencyPolicy: 'Replace' });
    const operator = await env.start();
    const [h1, h2] = [hourAfterNow(1), hourAfterNow(2)];
    await env.setClock(new Date(h1.getTime() + 1_000));
    await eventually('the first Episode', episodeNamed(env.namespace, `fresh-${stamp(h1)}`), operator);
    await env.setClock(new Date(h2.getTime() + 1_000));
    const second = await eventually('the second Episode', episodeNamed(env.namespace, `fresh-${stamp(h2)}`), operator);
    expect(second.spec.topic).toBe(TOPICS[1]);
    const first = await eventually(
      'the first Episode cancelled',
      async () => {
        const episode = await getEpisode(env.namespace, `fresh-${stamp(h1)}`);
        return episode.status?.phase === 'Cancelled' && episode;
      },
      operator,
    );
    expect(first.spec.cancel).toBe(true);
    expect(await eventReasons(env.namespace, 'fresh')).toContain('Replaced');
  });
});

describe('startingDeadlineSeconds after an outage', () => {
  it('at most one missed run starts, the latest, and only inside the deadline', async () => {
    const env = await setup('sched-outage');
    await scheduledChannel(env.namespace, 'late', { cron: '0 * * * *', startingDeadlineSeconds: 600 });
    let operator = await env.start();
    const h = (n: number) => hourAfterNow(n);
    await env.setClock(new Date(h(1).getTime() + 1_000));
    await eventually('the first Episode', episodeNamed(env.namespace, `late-${stamp(h(1))}`), operator);
    await operator.stop();

    // Down through h2, h3 and h4; back 15 minutes after h4: past the 10-minute deadline.
    await env.setClock(new Date(h(4).getTime() + 15 * 60_000));
    operator = await env.start();
    await eventually('a MissSchedule Event', async () => (await eventReasons(env.namespace, 'late')).includes('MissSchedule'), operator);
    expect((await scheduledEpisodes(env.namespace)).map((e) => e.metadata.name)).toEqual([`late-${stamp(h(1))}`]);
    await operator.stop();

    // Down through h5 and h6; back 5 minutes after h7: inside the deadline, h7 alone starts.
    await env.setClock(new Date(h(7).getTime() + 5 * 60_000));
    operator = await env.start();
    await eventually('the h7 Episode', episodeNamed(env.namespace, `late-${stamp(h(7))}`), operator);
    await sleep(1500);
    expect((await scheduledEpisodes(env.namespace)).map((e) => e.metadata.name)).toEqual([`late-${stamp(h(1))}`, `late-${stamp(h(7))}`]);
    expect((await getEpisode(env.namespace, `late-${stamp(h(7))}`)).spec.topic).toBe(TOPICS[1]);
  });
});

describe('daylight saving in the Channel’s zone', () => {
  it('Europe/Berlin 02:30: skipped on 28 March 2027, fired once on 31 October 2027', async () => {
    const env = await setup('sched-berlin');
    await scheduledChannel(env.namespace, 'berlin', { cron: '30 2 * * *', timezone: 'Europe/Berlin' });
    const operator = await env.start();
    const names = async () => (await scheduledEpisodes(env.namespace)).map((e) => e.metadata.name);
    const nextOf = async () => (await getChannel(env.namespace, 'berlin')).status?.schedule?.nextScheduleTime;

    await env.setClock('2027-03-27T12:00:00Z'); // the latest slot since the Channel was made: 27 March 02:30 CET
    await eventually('27 March', episodeNamed(env.namespace, 'berlin-20270327-0130'), operator);
    await env.setClock('2027-03-28T12:00:00Z'); // 02:30 does not exist on the 28th
    await eventually('the next time past the gap', async () => (await nextOf()) === '2027-03-29T00:30:00.000Z', operator);
    expect(await names()).toEqual(['berlin-20270327-0130']);
    await env.setClock('2027-03-29T00:31:00Z'); // 02:31 CEST
    await eventually('29 March', episodeNamed(env.namespace, 'berlin-20270329-0030'), operator);

    await env.setClock('2027-10-31T00:31:00Z'); // 02:31 CEST, before the clocks go back
    await eventually('31 October', episodeNamed(env.namespace, 'berlin-20271031-0030'), operator);
    await env.setClock('2027-10-31T01:45:00Z'); // 02:45 CET: the repeated 02:30 has passed
    await eventually('the next time after the repeat', async () => (await nextOf()) === '2027-11-01T01:30:00.000Z', operator);
    expect(await names()).toEqual(['berlin-20270327-0130', 'berlin-20270329-0030', 'berlin-20271031-0030']);
  });

  it('America/New_York: 02:30 skipped on 14 March 2027, 01:30 fired once on 7 November 2027', async () => {
    const env = await setup('sched-newyork');
    await scheduledChannel(env.namespace, 'ny', { cron: '30 1,2 * * *', timezone: 'America/New_York' });
    const operator = await env.start();
    const names = async () => (await scheduledEpisodes(env.namespace)).map((e) => e.metadata.name);
    const nextOf = async () => (await getChannel(env.namespace, 'ny')).status?.schedule?.nextScheduleTime;

    await env.setClock('2027-03-14T06:45:00Z'); // 01:45 EST: 01:30 EST is the latest slot
    await eventually('14 March 01:30', episodeNamed(env.namespace, 'ny-20270314-0630'), operator);
    await env.setClock('2027-03-14T07:45:00Z'); // 03:45 EDT: 02:30 never happened
    await eventually('the next time past the gap', async () => (await nextOf()) === '2027-03-15T05:30:00.000Z', operator);
    expect(await names()).toEqual(['ny-20270314-0630']);

    await env.setClock('2027-11-07T05:31:00Z'); // 01:31 EDT
    await eventually('7 November 01:30 EDT', episodeNamed(env.namespace, 'ny-20271107-0530'), operator);
    await env.setClock('2027-11-07T06:45:00Z'); // 01:45 EST: the repeated 01:30 has passed
    await eventually('the 02:30 EST slot next', async () => (await nextOf()) === '2027-11-07T07:30:00.000Z', operator);
    expect(await names()).toEqual(['ny-20270314-0630', 'ny-20271107-0530']);
  });
});

describe('one Episode per slot, whatever happens to the operator', () => {
  it('two replicas, the leader killed right at the tick each time: every slot gets exactly one Episode, each with its own topic', async () => {
    const env = await setup('sched-kill');
    await scheduledChannel(env.namespace, 'tick', { cron: '0 * * * *' });
    const replicas = [await env.start({ identity: 'tick-a' }), await env.start({ identity: 'tick-b', waitReady: false })];
    const leader = async () => {
      for (;;) {
        for (const replica of replicas) {
          const ready = await fetch(`${replica.metricsUrl}/readyz`).then(
            (r) => r.text(),
            () => '',
          );
          if (ready.includes('leader')) return replica;
        }
        await sleep(200);
      }
    };
    const slots = [1, 2, 3, 4].map(hourAfterNow);
    for (const [i, slot] of slots.entries()) {
      const current = await leader();
      await env.setClock(new Date(slot.getTime() + 1_000));
      // Killed at the tick: at once, or a moment later while it creates the Episode or writes status.
      await sleep([0, 30, 80, 150][i]);
      current.kill();
      await current.stop();
      replicas.splice(replicas.indexOf(current), 1, await env.start({ identity: `${current.identity}-${i}`, waitReady: false }));
      await eventually(`the Episode of slot ${i + 1}`, episodeNamed(env.namespace, `tick-${stamp(slot)}`), undefined, 60_000);
      await eventually(
        `slot ${i + 1} recorded`,
        async () => (await getChannel(env.namespace, 'tick')).status?.schedule?.lastScheduleTime === slot.toISOString(),
        undefined,
        60_000,
      );
    }
    await sleep(2000);
    const episodes = await scheduledEpisodes(env.namespace);
    expect(episodes.map((e) => e.metadata.name)).toEqual(slots.map((slot) => `tick-${stamp(slot)}`));
    expect(episodes.map((e) => e.spec.topic)).toEqual(TOPICS.slice(0, 4));
    expect((await getChannel(env.namespace, 'tick')).status?.schedule?.topicsUsed).toEqual(TOPICS.slice(0, 4));
  });
});

afterAll(async () => {
  await Promise.all(running.splice(0).map((operator) => operator.stop()));
});
