// The stage contract against the real S3 and NATS of the local control plane.
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { stageEventSubject, validateChannel, validateEpisode, type Channel, type Episode, type StageInput } from '@acog/api';
import { localEnv, uniqueName } from '../../../test/support/env.ts';
import { ensureEventsStream, stageEvents } from '../../../test/support/nats.ts';
import { NatsEventPublisher } from '../events/nats.ts';
import { S3ArtifactStore } from '@acog/store/s3';
import { checkStageInput, runStage, StageFailure, type StageImplementation } from './run-stage.ts';

const examples = join(import.meta.dirname, '..', '..', '..', 'examples');
const channel = validateChannel(parse(readFileSync(join(examples, 'channel.yaml'), 'utf8')) as Channel).value;
const episode = validateEpisode(parse(readFileSync(join(examples, 'episode.yaml'), 'utf8')) as Episode).value;

function input(stage: StageInput['stage'], upstream: StageInput['upstream'] = {}): StageInput {
  return {
    stage,
    attempt: 1,
    inputHash: 'sha256:test',
    episode: { namespace: 'team-a', name: uniqueName('ep'), uid: randomUUID(), spec: structuredClone(episode.spec) },
    channel: { name: channel.metadata.name!, spec: structuredClone(channel.spec) },
    upstream,
  };
}

function store(): S3ArtifactStore {
  const { s3 } = localEnv();
  return new S3ArtifactStore({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

const writesPlan: StageImplementation = async (ctx) => {
  const path = join(ctx.workdir, 'plan.json');
  await writeFile(path, JSON.stringify({ title: 'Indexes' }));
  return { provider: 'test-writer', files: { 'plan.json': path }, usage: { words: 3 }, costUSD: 0.01 };
};

describe('runStage', () => {
  let scratch: string;
  beforeAll(async () => {
    await ensureEventsStream();
    scratch = await mkdtemp(join(tmpdir(), 'acog-scratch-'));
  });

  it('stores the artifacts, then result.json, then announces once per attempt', async () => {
    const s3 = store();
    const events = await NatsEventPublisher.connect(localEnv().nats.url);
    const given = input('plan');
    const result = await runStage(given, writesPlan, { store: s3, events, scratch });
    const prefix = `s3://acog-scripts/team-a/${given.episode.name}/${given.episode.uid}/plan/1/`;
    expect(result).toMatchObject({
      stage: 'plan',
      attempt: 1,
      provider: 'test-writer',
      artifacts: { 'plan.json': `${prefix}plan.json` },
      usage: { words: 3 },
      costUSD: 0.01,
    });
    expect(await s3.list(prefix)).toEqual([`${prefix}plan.json`, `${prefix}result.json`]);
    expect(JSON.parse((await s3.getBytes(`${prefix}result.json`)).toString())).toEqual(result);

    // The same attempt again (a Job that ran twice): nothing redone, the event de-duplicated.
    let ranAgain = false;
    const again = await runStage(given, async (ctx) => ((ranAgain = true), writesPlan(ctx)), { store: s3, events, scratch });
    expect(ranAgain).toBe(false);
    expect(again).toEqual(result);
    await events.close();
    const seen = await stageEvents(given.episode.uid);
    expect(seen).toHaveLength(1);
    expect(seen[0].msgId).toBe(`${given.episode.uid}/plan/1`);
    expect(seen[0].event).toMatchObject({ outcome: 'Succeeded', stage: 'plan', result: `${prefix}result.json`, namespace: 'team-a' });
    expect(stageEventSubject('team-a', given.episode.name, 'plan')).toBe(`acog.events.team-a.${given.episode.name}.plan`);
  });

  it('a failing stage leaves no result.json and announces the one-line reason', async () => {
    const s3 = store();
    const events = await NatsEventPublisher.connect(localEnv().nats.url);
    const given = input('plan');
    const failing: StageImplementation = async (ctx) => {
      await writeFile(join(ctx.workdir, 'half.json'), '{');
      throw new Error('the provider said no\nwith details');
    };
    await expect(runStage(given, failing, { store: s3, events, scratch })).rejects.toThrow(StageFailure);
    await events.close();
    expect(await s3.list(`s3://acog-scripts/team-a/${given.episode.name}/`)).toEqual([]);
    const seen = await stageEvents(given.episode.uid);
    expect(seen.map((s) => s.event)).toMatchObject([{ outcome: 'Failed', message: 'the provider said no with details' }]);
  });

  const planResult = (artifacts: Record<string, string>) =>
    ({
      plan: { stage: 'plan', attempt: 1, inputHash: 'h', provider: 'x', artifacts, usage: {}, costUSD: 0, startedAt: '', finishedAt: '' },
    }) as StageInput['upstream'];
  const readsPlan: StageImplementation = async (ctx) => {
    await ctx.readJson('plan', 'plan.json');
    return { provider: 'x', files: {} };
  };

  it('fails clearly on a missing upstream artifact', async () => {
    const s3 = store();
    const given = input('script');
    const missing = `s3://acog-scripts/team-a/${given.episode.name}/${given.episode.uid}/plan/1/plan.json`;
    given.upstream = planResult({ 'plan.json': missing });
    await expect(runStage(given, readsPlan, { store: s3, scratch })).rejects.toThrow(
      `missing upstream artifact plan.json of plan at ${missing}: artifact ${missing} does not exist`,
    );
  });

  it("reads upstream artifacts only inside the episode's own prefix", async () => {
    const s3 = store();
    const given = input('script');
    // Another episode's plan, of this namespace and of another: both exist, neither is read.
    for (const foreign of [
      `s3://acog-scripts/team-a/other/${randomUUID()}/plan/1/plan.json`,
      `s3://acog-scripts/team-b/ep/${randomUUID()}/plan/1/plan.json`,
    ]) {
      await s3.putBytes(foreign, '{"title":"not yours"}');
      given.upstream = planResult({ 'plan.json': foreign });
      await expect(runStage(given, readsPlan, { store: s3, scratch })).rejects.toThrow(
        `upstream.plan.artifacts["plan.json"]: ${foreign} is outside this episode's prefix s3://acog-scripts/team-a/${given.episode.name}/${given.episode.uid}/`,
      );
    }
  });

  it('keeps artifacts named like Object.prototype members, and looks up only what the result lists', async () => {
    const s3 = store();
    const given = input('plan');
    const names = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];
    const writesOdd: StageImplementation = async (ctx) => {
      const files = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await ctx.writeJson(`${name}.out`, { name })])));
      return { provider: 'odd', files };
    };
    const result = await runStage(given, writesOdd, { store: s3, scratch });
    const prefix = `s3://acog-scripts/team-a/${given.episode.name}/${given.episode.uid}/plan/1/`;
    expect(Object.keys(result.artifacts).sort()).toEqual([...names].sort());
    expect(Object.getPrototypeOf(result.artifacts)).toBe(Object.prototype);
    for (const name of names) expect(Object.getOwnPropertyDescriptor(result.artifacts, name)?.value).toBe(`${prefix}${name}`);
    const stored = JSON.parse((await s3.getBytes(`${prefix}result.json`)).toString()) as { artifacts: Record<string, string> };
    expect(Object.keys(stored.artifacts).sort()).toEqual([...names].sort());
    expect((await s3.list(prefix)).length).toBe(names.length + 1);

    // A later stage reads them by name; a name its upstream result does not list is missing, never Object's.
    const next = input('script');
    next.episode = given.episode;
    next.upstream = { plan: result };
    const reads =
      (artifact: string): StageImplementation =>
      async (ctx) => {
        const value = await ctx.readJson<{ name: string }>('plan', artifact);
        return { provider: 'reader', files: {}, message: value.name };
      };
    expect((await runStage({ ...next, attempt: 1 }, reads('__proto__'), { store: s3, scratch })).message).toBe('__proto__');
    next.upstream = { plan: { ...result, artifacts: { 'plan.json': `${prefix}constructor` } } };
    await expect(runStage({ ...next, attempt: 2 }, reads('constructor'), { store: s3, scratch })).rejects.toThrow(
      'missing upstream artifact constructor of plan: its result lists plan.json',
    );
    await expect(runStage({ ...next, attempt: 3 }, reads('valueOf'), { store: s3, scratch })).rejects.toThrow(
      'missing upstream artifact valueOf of plan: its result lists plan.json',
    );
  });

  it('stores artifacts only in the attempt folder: a name with a path is refused', async () => {
    const s3 = store();
    const given = input('plan');
    for (const name of ['../../other/plan.json', '/etc/plan.json', 'sub/plan.json', '..', 'result.json']) {
      const escapes: StageImplementation = async (ctx) => ({ provider: 'x', files: { [name]: await ctx.writeJson('plan.json', {}) } });
      await expect(runStage(given, escapes, { store: s3, scratch })).rejects.toThrow(
        `plan produced an artifact named ${JSON.stringify(name)}: artifact names are one plain file name`,
      );
    }
    expect(await s3.list(`s3://acog-scripts/team-a/${given.episode.name}/`)).toEqual([]);
  });

  it('still succeeds when NATS cannot be reached: result.json is the truth', async () => {
    const s3 = store();
    const lines: string[] = [];
    const broken = { publish: async () => Promise.reject(new Error('no responders')), close: async () => undefined };
    const given = input('plan');
    await runStage(given, writesPlan, { store: s3, events: broken, scratch, log: (l) => lines.push(l) });
    expect(await s3.exists(`s3://acog-scripts/team-a/${given.episode.name}/${given.episode.uid}/plan/1/result.json`)).toBe(true);
    expect(lines.join('\n')).toMatch(/could not publish the Succeeded event .*no responders/);
  });
});

describe('checkStageInput', () => {
  it('names every malformed field', () => {
    expect(() => checkStageInput({ stage: 'render', attempt: 0, episode: {}, channel: {}, upstream: {} })).toThrow(
      /malformed stage input: stage: "render" is not a pipeline stage; attempt: must be a whole number from 1; inputHash: missing; episode.namespace: missing/,
    );
  });

  it('refuses an unknown provider with the schema message', () => {
    const bad = input('plan');
    (bad.channel.spec.providers!.llm as { provider: string }).provider = 'anthropic';
    expect(() => checkStageInput(bad)).toThrow(/channel.spec.providers.llm.provider: Unsupported value: "anthropic"/);
  });

  it('refuses a stage whose upstream has not finished', () => {
    expect(() => checkStageInput(input('assemble'))).toThrow(
      /missing upstream result of plan, script, refine, metadata, voice, avatar, broll: assemble needs it finished first/,
    );
  });

  it('refuses an input for another stage', () => {
    expect(() => checkStageInput(input('plan'), 'voice')).toThrow(/the input is for plan, the runner was started for voice/);
  });
});
