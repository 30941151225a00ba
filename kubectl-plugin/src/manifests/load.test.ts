import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifests } from './load.ts';

const examples = join(import.meta.dirname, '..', '..', '..', 'examples');

describe('loadManifests', () => {
  it('reads a folder and applies the schema defaults', async () => {
    const { channels, episodes } = await loadManifests([examples]);
    expect(channels.map((c) => c.metadata.name)).toEqual(['engineering-explained']);
    expect(episodes.map((e) => e.metadata.name)).toEqual(['how-indexes-work']);
    expect(channels[0].spec.format.captions?.maxWordsPerCue).toBe(7);
  });

  it('names the file, the document and the field of every problem', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acog-manifests-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      [
        'apiVersion: acog.dev/v1alpha1',
        'kind: Episode',
        'metadata: {name: a}',
        'spec: {channelRef: {name: c}, topic: ok topic, publish: {privacy: friends}}',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: b}',
      ].join('\n'),
    );
    await expect(loadManifests([file])).rejects.toThrow(
      `${file} (document 1): Episode a: spec.publish.privacy: Unsupported value: "friends": supported values: "public", "unlisted", "private"\n${file} (document 1): Episode a: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation\n${file} (document 2): expected apiVersion acog.dev/v1alpha1 and kind Channel or Episode, found v1 ConfigMap`,
    );
    await expect(loadManifests([join(dir, 'nope.yaml')])).rejects.toThrow(/nope.yaml: no such file or folder/);
  });
});
