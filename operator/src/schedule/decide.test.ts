import { describe, expect, it } from 'vitest';
import { ORIGIN_LABEL, SCHEDULE_ORIGIN, SCHEDULE_SLOT_ANNOTATION, type Channel, type Episode } from '@acog/api';
import { decideSchedule, topicsUsed } from './decide.ts';
import { firstTopic, scheduleTopics, type TopicSource } from './topics.ts';

type Schedule = NonNullable<Channel['spec']['schedule']>;

function channel(schedule: Schedule, status: NonNullable<Channel['status']>['schedule'] = {}): Channel {
  return {
    apiVersion: 'acog.dev/v1alpha1',
    kind: 'Channel',
    metadata: { name: 'tech', namespace: 'studio', uid: 'u1', creationTimestamp: '2027-01-01T00:00:00Z' as unknown as Date },
    spec: { persona: { name: 'A', tone: 't', audience: 'a' }, format: { aspectRatio: '16:9', targetDurationSeconds: 60 }, schedule },
    status: { schedule: status },
  } as Channel;
}

function scheduled(name: string, topic: string, phase?: string, slot?: string): Episode {
  return {
    metadata: {
      name,
      namespace: 'studio',
      labels: { [ORIGIN_LABEL]: SCHEDULE_ORIGIN },
      ...(slot && { annotations: { [SCHEDULE_SLOT_ANNOTATION]: slot } }),
    },
    spec: { channelRef: { name: 'tech' }, topic },
    ...(phase && { status: { phase } }),
  } as unknown as Episode;
}

const hourly = { cron: '0 * * * *', topics: ['Topic one', 'Topic two', 'Topic three'] };
const at = (time: string) => new Date(time);

describe('decideSchedule', () => {
  it('creates the slot’s Episode with the first unused topic, and names the next slot', () => {
    const decision = decideSchedule(
      channel(hourly, { lastScheduleTime: '2027-01-01T09:00:00Z', topicsUsed: ['Topic one'] }),
      [],
      at('2027-01-01T10:00:30Z'),
      scheduleTopics,
    );
    expect(decision.action).toEqual({
      kind: 'create',
      slot: at('2027-01-01T10:00:00Z'),
      name: 'tech-20270101-1000',
      topic: 'Topic two',
      replace: [],
    });
    expect(decision.next).toEqual(at('2027-01-01T11:00:00Z'));
  });

  it('an Episode that exists for the slot is recorded, not made again; its topic counts as used', () => {
    const made = scheduled('tech-20270101-1000', 'Topic one');
    const decision = decideSchedule(
      channel(hourly, { lastScheduleTime: '2027-01-01T09:00:00Z' }),
      [made],
      at('2027-01-01T10:00:30Z'),
      scheduleTopics,
    );
    expect(decision.action).toEqual({ kind: 'recorded', slot: at('2027-01-01T10:00:00Z'), episode: made });
    expect(decision.topicsUsed).toEqual(['Topic one']);
  });

  it('after an outage only the latest missed slot runs, and only within startingDeadlineSeconds', () => {
    const down = channel({ ...hourly, startingDeadlineSeconds: 600 }, { lastScheduleTime: '2027-01-01T04:00:00Z' });
    const inside = decideSchedule(down, [], at('2027-01-01T10:05:00Z'), scheduleTopics);
    expect(inside.action).toMatchObject({ kind: 'create', slot: at('2027-01-01T10:00:00Z') });
    expect(inside.passedOver).toBe(5);
    const outside = decideSchedule(down, [], at('2027-01-01T10:15:00Z'), scheduleTopics);
    expect(outside.action).toEqual({ kind: 'missed', slot: at('2027-01-01T10:00:00Z'), deadlineSeconds: 600 });
  });

  it('Forbid waits while a scheduled Episode is unfinished; Replace cancels it; Allow runs both', () => {
    const running = scheduled('tech-20270101-0900', 'Topic one', 'Running');
    const done = scheduled('tech-20270101-0800', 'Topic three', 'Succeeded');
    const status = { lastScheduleTime: '2027-01-01T09:00:00Z', topicsUsed: ['Topic one', 'Topic three'] };
    const now = at('2027-01-01T10:00:00Z');
    expect(
      decideSchedule(channel({ ...hourly, concurrencyPolicy: 'Forbid' }, status), [running, done], now, scheduleTopics).action,
    ).toEqual({
      kind: 'forbidden',
      slot: now,
      active: ['tech-20270101-0900'],
    });
    expect(
      decideSchedule(channel({ ...hourly, concurrencyPolicy: 'Replace' }, status), [running, done], now, scheduleTopics).action,
    ).toMatchObject({
      kind: 'create',
      topic: 'Topic two',
      replace: [running],
    });
    expect(
      decideSchedule(channel({ ...hourly, concurrencyPolicy: 'Allow' }, status), [running, done], now, scheduleTopics).action,
    ).toMatchObject({
      kind: 'create',
      replace: [],
    });
  });

  it('no topic left: no Episode; the topic sources are asked in order', () => {
    const spent = channel(hourly, { lastScheduleTime: '2027-01-01T09:00:00Z', topicsUsed: hourly.topics });
    expect(decideSchedule(spent, [], at('2027-01-01T10:00:00Z'), scheduleTopics).action).toEqual({
      kind: 'no-topic',
      slot: at('2027-01-01T10:00:00Z'),
      name: 'tech-20270101-1000',
    });
    const proposals: TopicSource = () => 'A proposed topic';
    expect(decideSchedule(spent, [], at('2027-01-01T10:00:00Z'), firstTopic(scheduleTopics, proposals)).action).toMatchObject({
      kind: 'create',
      topic: 'A proposed topic',
    });
  });

  it('suspended: nothing, and no next time; a new Channel counts from its creation', () => {
    const suspended = decideSchedule(channel({ ...hourly, suspend: true }), [], at('2027-01-01T10:00:00Z'), scheduleTopics);
    expect(suspended.action).toEqual({ kind: 'suspended' });
    expect(suspended.next).toBeUndefined();
    const fresh = channel(hourly);
    expect(decideSchedule(fresh, [], at('2027-01-01T00:30:00Z'), scheduleTopics).action).toEqual({ kind: 'idle' });
  });

  it('an Episode made but never recorded (a lost status write) is recorded, and counts from its time on', () => {
    const made = scheduled('tech-20270101-1000', 'Topic two', 'AwaitingApproval', '2027-01-01T10:00:00.000Z');
    const status = { lastScheduleTime: '2027-01-01T09:00:00Z', topicsUsed: ['Topic one'] };
    const decision = decideSchedule(channel(hourly, status), [made], at('2027-01-01T11:00:10Z'), scheduleTopics);
    expect(decision.unrecorded).toEqual({ slot: at('2027-01-01T10:00:00Z'), episode: made });
    expect(decision.passedOver).toBe(0);
    expect(decision.action).toMatchObject({ kind: 'create', slot: at('2027-01-01T11:00:00Z'), topic: 'Topic three' });
  });

  it('used topics come from status and from the scheduled Episodes that exist', () => {
    expect(topicsUsed(channel(hourly, { topicsUsed: ['Topic two'] }), [scheduled('x', 'Topic one'), scheduled('y', 'Not listed')])).toEqual(
      ['Topic two', 'Topic one'],
    );
  });
});
