// A runner's input read against the real S3 of the local control plane: the operator uploads
// input.json beside the Job create (ADR 0028), so a missing input is waited for, a bounded time.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateChannel, validateEpisode, type Channel, type Episode, type StageInput } from '@acog/api';
import { S3ArtifactStore } from '@acog/store/s3';
import { localEnv, uniqueName } from '../../../test/support/env.ts';
import { readStageInput } from './read-input.ts';
import { StageFailure } from './run-stage.ts';

const examples = join(import.meta.dirname, '..', '..', '..', 'examples');
const channel = validateChannel(parse(readFileSync(join(examples, 'channel.yaml'), 'utf8')) as Channel).value;
const episode = validateEpisode(parse(readFileSync(join(examples, 'episode.yaml'), 'utf8')) as Episode).value;

function store(): S3ArtifactStore {
  const { s3 } = localEnv();
  return new S3ArtifactStore({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

function input(): StageInput {
  return {
    stage: 'plan',
    attempt: 1,
    inputHash: 'sha256:test',
    episode: { namespace: 'team-a', name: uniqueName('ep'), uid: randomUUID(), spec: structuredClone(episode.spec) },
    channel: { name: channel.metadata.name!, spec: structuredClone(channel.spec) },
    upstream: {},
  };
}

const uriOf = (s3: S3ArtifactStore, value: StageInput) =>
  s3.uri('acog-scripts', `team-a/${value.episode.name}/${value.episode.uid}/plan/1/input.json`);

describe('readStageInput', () => {
  it('waits for an input.json written after the runner started, and returns it checked', async () => {
    const s3 = store();
    const value = input();
    const uri = uriOf(s3, value);
    const lines: string[] = [];
    const reading = readStageInput(s3, uri, 'plan', { log: (line) => lines.push(line), wait: { baseDelayMs: 100, maxDelayMs: 400 } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await s3.putBytes(uri, JSON.stringify(value), 'application/json');
    const read = await reading;
    expect(read.episode.uid).toBe(value.episode.uid);
    expect(read.stage).toBe('plan');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/is not there yet \(read 1\)/);
  });

  it('gives up on an input that never comes, after the bounded reads, saying where to look', async () => {
    const s3 = store();
    const uri = uriOf(s3, input());
    const lines: string[] = [];
    const error = await readStageInput(s3, uri, 'plan', {
      log: (line) => lines.push(line),
      wait: { attempts: 3, baseDelayMs: 20, maxDelayMs: 40 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StageFailure);
    expect((error as Error).message).toMatch(/does not exist after 3 reads; the operator writes it beside the Job/);
    expect(lines).toHaveLength(2);
  });

  it('fails at once on an input that is there but malformed, naming the field', async () => {
    const s3 = store();
    const value = input();
    const uri = uriOf(s3, value);
    await s3.putBytes(uri, JSON.stringify({ ...value, attempt: 0 }), 'application/json');
    const lines: string[] = [];
    await expect(readStageInput(s3, uri, 'plan', { log: (line) => lines.push(line) })).rejects.toThrow(/attempt: must be a whole number/);
    expect(lines).toHaveLength(0);
    await s3.putBytes(uri, '{"stage": ', 'application/json');
    await expect(readStageInput(s3, uri, 'plan')).rejects.toThrow(/not JSON/);
  });
});
