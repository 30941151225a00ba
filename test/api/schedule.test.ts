// A Channel's schedule as the API server takes it: every cron pattern croner (the library the
// operator schedules with) accepts in its five-field form is stored, every one it refuses is
// refused with spec.schedule.cron named, and a time zone that is not IANA's is refused with
// spec.schedule.timezone named; the generated validator agrees each time.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cron } from 'croner';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { GROUP, VERSION, cronProblem, validateChannel, type Channel } from '@acog/api';
import { kubeConfig, localEnv, uniqueName } from '../support/env.ts';
import { apiFailure, createNamespace, createObject, example } from '../support/kube.ts';

const ACCEPTED = [
  '0 9 * * 1',
  '0 9 * * mon-fri',
  '30 6 1,15 jan-jun *',
  '*/15 8-18 * * *',
  '0-30/10 */2 * * sun',
  '0 0 * * sat-sun',
  '59 23 31 12 7',
  '@hourly',
  '@daily',
  '@midnight',
  '@weekly',
  '@monthly',
  '@yearly',
  '@annually',
];

/** Refused by croner, and so by the schema, with what the API server says. */
const REFUSED_BY_CRONER: [string, RegExp][] = [
  ['60 9 * * *', /schedule.cron must be five fields separated by one space/],
  ['0 24 * * *', /schedule.cron must be five fields separated by one space/],
  ['0 0 0 * *', /schedule.cron must be five fields separated by one space/],
  ['0 0 * 13 *', /schedule.cron must be five fields separated by one space/],
  ['0 0 * * 8', /schedule.cron must be five fields separated by one space/],
  ['*/0 * * * *', /schedule.cron must be five fields separated by one space/],
  ['5/15 * * * *', /schedule.cron must be five fields separated by one space/],
  ['@reboot', /schedule.cron must be five fields separated by one space/],
  ['5-1 * * * *', /a range in schedule.cron goes from low to high/],
  ['0 9 * * fri-mon', /a range in schedule.cron goes from low to high/],
  ['0 9 * dec-feb *', /a range in schedule.cron goes from low to high/],
];

/** Accepted by croner beyond the five-field cron (seconds, Quartz's L, # and ?): refused, so that a manifest means the same everywhere. */
const BEYOND_FIVE_FIELDS = ['0 0 9 * * 1', '0 0 L * *', '0 0 * * 5#2', '0 0 ? * *'];

function cronerAccepts(cron: string): boolean {
  try {
    new Cron(cron, { timezone: 'UTC', paused: true });
    return true;
  } catch {
    return false;
  }
}

describe('schedule.cron and schedule.timezone at the API server', () => {
  const kc = kubeConfig('admin');
  const namespace = uniqueName('schedule-api');
  let base: Channel;
  const withSchedule = (schedule: Channel['spec']['schedule']) => {
    const channel = structuredClone(base);
    channel.metadata = { name: uniqueName('ch') };
    channel.spec.schedule = schedule;
    return channel;
  };

  beforeAll(async () => {
    await createNamespace(kc, namespace);
    base = await example<Channel>('channel.yaml');
  });

  it.each(ACCEPTED)('%s is stored, and croner and the validator accept it', async (cron) => {
    expect(cronerAccepts(cron)).toBe(true);
    expect(cronProblem(cron)).toBeUndefined();
    const channel = withSchedule({ cron, timezone: 'America/New_York' });
    expect(validateChannel(channel).errors).toEqual([]);
    const stored = (await createObject(kc, namespace, 'channels', channel)) as unknown as Channel;
    expect(stored.spec.schedule?.cron).toBe(cron);
    expect(stored.spec.schedule?.concurrencyPolicy).toBe('Allow');
  });

  it.each(REFUSED_BY_CRONER)(
    '%s: croner refuses it, and so do the API server and the validator, naming spec.schedule.cron',
    async (cron, message) => {
      expect(cronerAccepts(cron)).toBe(false);
      expect(cronProblem(cron)).toBeDefined();
      const channel = withSchedule({ cron });
      const failure = await apiFailure(createObject(kc, namespace, 'channels', channel));
      expect(failure.code).toBe(422);
      expect(failure.message).toContain('spec.schedule.cron');
      expect(failure.message).toMatch(message);
      const errors = validateChannel(channel).errors;
      expect(errors.map((e) => e.field)).toEqual(['spec.schedule.cron']);
      expect(errors[0].message).toMatch(message);
    },
  );

  it.each(BEYOND_FIVE_FIELDS)('%s (beyond the five-field cron) is refused, naming spec.schedule.cron', async (cron) => {
    const failure = await apiFailure(createObject(kc, namespace, 'channels', withSchedule({ cron })));
    expect(failure.code).toBe(422);
    expect(failure.message).toContain('spec.schedule.cron');
    expect(cronProblem(cron)).toBeDefined();
  });

  it('a time zone that is not IANA’s is refused, naming spec.schedule.timezone; Europe/Berlin is stored', async () => {
    const channel = withSchedule({ cron: '@daily', timezone: 'Mars/Olympus' });
    const failure = await apiFailure(createObject(kc, namespace, 'channels', channel));
    expect(failure.code).toBe(422);
    expect(failure.message).toContain('spec.schedule.timezone');
    expect(validateChannel(channel).errors.map((e) => e.field)).toEqual(['spec.schedule.timezone']);
    const stored = (await createObject(
      kc,
      namespace,
      'channels',
      withSchedule({ cron: '@daily', timezone: 'Europe/Berlin' }),
    )) as unknown as Channel;
    expect(stored.spec.schedule?.timezone).toBe('Europe/Berlin');
  });

  it('kubectl get channels shows the next scheduled time in a NEXT column', async () => {
    const channel = withSchedule({ cron: '@daily' });
    await createObject(kc, namespace, 'channels', channel);
    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        plural: 'channels',
        namespace,
        name: channel.metadata.name!,
        body: { status: { schedule: { nextScheduleTime: '2027-01-02T00:00:00Z' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const env = localEnv();
    const { stdout } = await promisify(execFile)(env.binaries.kubectl, [
      '--kubeconfig',
      env.kubernetes.kubeconfig,
      '--context',
      'admin',
      'get',
      'channels',
      channel.metadata.name!,
      '-n',
      namespace,
    ]);
    // Columns are aligned under their headers; empty ones (no status yet) print nothing.
    const [header, row] = stdout.trimEnd().split('\n');
    expect(header).toMatch(/\bNEXT\b/);
    expect(row.slice(header.indexOf('NEXT')).split(/\s+/)[0]).toBe('2027-01-02T00:00:00Z');
  });

  it('concurrencyPolicy outside Allow, Forbid, Replace and a negative startingDeadlineSeconds are refused, each named', async () => {
    const policy = await apiFailure(
      createObject(kc, namespace, 'channels', withSchedule({ cron: '@daily', concurrencyPolicy: 'Queue' as 'Allow' })),
    );
    expect(policy.message).toContain('spec.schedule.concurrencyPolicy');
    expect(policy.message).toMatch(/Unsupported value: "Queue"/);
    const deadline = await apiFailure(
      createObject(kc, namespace, 'channels', withSchedule({ cron: '@daily', startingDeadlineSeconds: -5 })),
    );
    expect(deadline.message).toContain('spec.schedule.startingDeadlineSeconds');
    expect(deadline.message).toMatch(/greater than or equal to 0/);
  });
});
