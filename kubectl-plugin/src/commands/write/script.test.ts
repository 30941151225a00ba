import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { EpisodeSpec } from '@acog/api';
import { S3ArtifactStore } from '@acog/store/s3';
import { localEnv, serviceEnv } from '../../../../test/support/env.ts';
import { acog, createChannel, createEpisode, freshNamespace, getEpisode, minimal, setEpisodeStatus, unscheduled } from '../../testing.ts';

let ns: string;
let scripts: string;

const own: NonNullable<EpisodeSpec['script']> = {
  title: 'Indexes in a minute',
  beats: [
    { heading: 'Lookups', narration: 'An index makes a lookup fast.', broll: 'library card catalogue' },
    { narration: 'Without one, the database reads every row.' },
  ],
};

/** An editor: a shell script run with the file as $1. */
async function editor(name: string, body: string): Promise<string> {
  const path = join(scripts, name);
  await writeFile(path, `#!/bin/sh\nset -e\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

const withEditor = (path: string) => ({ env: { ...serviceEnv(), EDITOR: path, KUBE_EDITOR: '' } });

beforeAll(async () => {
  ns = await freshNamespace('wr-script');
  scripts = await mkdtemp(join(tmpdir(), 'acog-editors-'));
  await createChannel(ns, 'chan', unscheduled({ approvalGates: [] }));
});

describe('script', () => {
  it('prints spec.script as YAML', async () => {
    await createEpisode(ns, 'ep-own', 'chan', minimal({ script: own }));
    const result = await acog(['script', 'ep-own', '-n', ns]);
    expect(result.code).toBe(0);
    expect(parse(result.stdout)).toEqual(own);
  });

  it("prints the last run's refined script in the shape of spec.script when the episode has none", async () => {
    const created = await createEpisode(ns, 'ep-writer', 'chan', minimal());
    const { s3 } = localEnv();
    const store = new S3ArtifactStore({
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    const uri = `s3://acog-scripts/${ns}/ep-writer/${created.metadata.uid}/refine/1/refined.json`;
    const refined = {
      title: 'What the writer wrote',
      beats: [
        { id: 'beat-1', heading: 'Start', narration: 'The writer said this.', brollCues: [{ description: 'a desk', keywords: ['desk'] }] },
      ],
      wordCount: 4,
      estimatedSeconds: 2,
      notes: [],
    };
    await store.putBytes(uri, JSON.stringify(refined));
    await setEpisodeStatus(ns, 'ep-writer', {
      phase: 'Running',
      stages: [{ name: 'refine', phase: 'Succeeded', attempt: 1, artifacts: [uri] }],
    });
    const result = await acog(['script', 'ep-writer', '-n', ns]);
    expect(result.stderr).toBe('');
    expect(parse(result.stdout)).toEqual({
      title: 'What the writer wrote',
      beats: [{ heading: 'Start', narration: 'The writer said this.', broll: 'a desk' }],
    });
  });

  it('says what to do when there is no script yet', async () => {
    await createEpisode(ns, 'ep-new', 'chan', minimal());
    const result = await acog(['script', 'ep-new', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/episode "ep-new" has no spec\.script and no refined script yet: wait until refine has run/);
  });

  it('--edit writes the edited words to spec.script; an untouched file changes nothing', async () => {
    await createEpisode(ns, 'ep-edit', 'chan', minimal({ script: own }));
    const untouched = await acog(['script', 'ep-edit', '--edit', '-n', ns], withEditor(await editor('noop.sh', 'true')));
    expect(untouched).toEqual({ code: 0, stdout: 'Edit cancelled, no changes made.\n', stderr: '' });
    const generation = (await getEpisode(ns, 'ep-edit')).metadata.generation;

    const edit = await editor(
      'faster.sh',
      `grep -q '^# The script of episode ep-edit' "$1"\nsed -i 's/makes a lookup fast/makes a lookup quick/' "$1"`,
    );
    const result = await acog(['script', 'ep-edit', '--edit', '-n', ns], withEditor(edit));
    expect(result).toEqual({ code: 0, stdout: 'episode.acog.dev/ep-edit edited (spec.script)\n', stderr: '' });
    const after = await getEpisode(ns, 'ep-edit');
    expect(after.metadata.generation).toBe(generation! + 1);
    expect(after.spec.script).toEqual({ ...own, beats: [{ ...own.beats[0], narration: 'An index makes a lookup quick.' }, own.beats[1]] });
  });

  it("re-opens the file with the API server's message after a refusal, as kubectl edit does", async () => {
    await createEpisode(ns, 'ep-refused', 'chan', minimal({ script: own }));
    const count = join(scripts, 'refused.count');
    const edit = await editor(
      'refused.sh',
      [
        `if [ ! -f ${count} ]; then`,
        `  echo 1 > ${count}`,
        `  sed -i 's/narration: Without one, the database reads every row./narration: "   "/' "$1"`,
        'else',
        `  grep -q '^# The last edit was refused:' "$1"`,
        `  grep -q 'narration must hold more than spaces' "$1"`,
        `  sed -i 's/narration: "   "/narration: Without an index, every row is read./' "$1"`,
        'fi',
      ].join('\n'),
    );
    const result = await acog(['script', 'ep-refused', '--edit', '-n', ns], withEditor(edit));
    expect(result).toEqual({ code: 0, stdout: 'episode.acog.dev/ep-refused edited (spec.script)\n', stderr: '' });
    expect((await getEpisode(ns, 'ep-refused')).spec.script!.beats[1].narration).toBe('Without an index, every row is read.');
  });

  it('gives up when a refused edit is saved again unchanged, changing nothing', async () => {
    await createEpisode(ns, 'ep-stubborn', 'chan', minimal({ script: own }));
    const count = join(scripts, 'stubborn.count');
    const edit = await editor('stubborn.sh', `if [ ! -f ${count} ]; then echo 1 > ${count}; sed -i 's/^beats:/beats: []\\nold:/' "$1"; fi`);
    const result = await acog(['script', 'ep-stubborn', '--edit', '-n', ns], withEditor(edit));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: Edit cancelled, no valid changes were saved: /);
    expect((await getEpisode(ns, 'ep-stubborn')).spec.script).toEqual(own);
  });

  it('--approve approves the gate the episode waits at once the script is saved', async () => {
    await createEpisode(ns, 'ep-gate', 'chan', minimal({ script: own, approvalGates: ['voice'] }));
    await setEpisodeStatus(ns, 'ep-gate', {
      phase: 'AwaitingApproval',
      currentStage: 'voice',
      stages: [
        { name: 'plan', phase: 'Succeeded', attempt: 1 },
        { name: 'script', phase: 'Succeeded', attempt: 1 },
        { name: 'refine', phase: 'Succeeded', attempt: 1 },
        { name: 'voice', phase: 'AwaitingApproval' },
      ],
    });
    const edit = await editor('gate.sh', `sed -i 's/reads every row/reads each row/' "$1"`);
    const result = await acog(['script', 'ep-gate', '--edit', '--approve', '-n', ns], withEditor(edit));
    expect(result).toEqual({
      code: 0,
      stdout: 'episode.acog.dev/ep-gate edited (spec.script)\nepisode.acog.dev/ep-gate approved (voice)\n',
      stderr: '',
    });
    const after = await getEpisode(ns, 'ep-gate');
    expect(after.spec.script!.beats[1].narration).toBe('Without one, the database reads each row.');
    expect(after.metadata.annotations?.['approve.acog.dev/voice']).toMatch(/^\d{4}-/);
  });
});
