import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  activeAncestors,
  activeDependencies,
  activeStages,
  canonicalJson,
  stageInputHashes,
  validateChannel,
  validateEpisode,
  type Channel,
  type Episode,
  type StageName,
} from './index.ts';

const examples = join(import.meta.dirname, '..', '..', 'examples');
const load = () => ({
  channel: validateChannel(parse(readFileSync(join(examples, 'channel.yaml'), 'utf8')) as Channel).value.spec,
  episode: validateEpisode(parse(readFileSync(join(examples, 'episode.yaml'), 'utf8')) as Episode).value.spec,
});

function changedStages(edit: (specs: ReturnType<typeof load>) => void): StageName[] {
  const before = load();
  const after = load();
  edit(after);
  const a = stageInputHashes(before.channel, before.episode);
  const b = stageInputHashes(after.channel, after.episode);
  return (Object.keys(b) as StageName[]).filter((stage) => a[stage] !== b[stage]);
}

describe('stageInputHashes', () => {
  it('is stable for equal inputs', () => {
    const { channel, episode } = load();
    expect(stageInputHashes(channel, episode)).toEqual(stageInputHashes(structuredClone(channel), structuredClone(episode)));
    expect(Object.values(stageInputHashes(channel, episode)).every((h) => /^sha256:[0-9a-f]{64}$/.test(h!))).toBe(true);
  });

  it('a changed brief re-runs everything from plan', () => {
    expect(changedStages((s) => (s.episode.brief = 'Another angle entirely.'))).toEqual([
      'plan',
      'script',
      'refine',
      'metadata',
      'voice',
      'avatar',
      'broll',
      'assemble',
      'upload',
    ]);
  });

  it('a changed caption style re-runs only assemble and what follows it', () => {
    expect(changedStages((s) => (s.channel.format.captions!.style = 'minimal'))).toEqual(['assemble', 'upload']);
  });

  it('a changed voice re-runs voice, avatar and what follows', () => {
    expect(changedStages((s) => (s.channel.providers!.voice!.voiceId = 'en-gb'))).toEqual(['voice', 'avatar', 'assemble', 'upload']);
  });

  it('a changed voice speed re-runs the writing too: the script is fitted to the rate the voice speaks', () => {
    expect(changedStages((s) => (s.channel.providers!.voice!.speed = 1.1))).toEqual([
      'plan',
      'script',
      'refine',
      'metadata',
      'voice',
      'avatar',
      'broll',
      'assemble',
      'upload',
    ]);
  });

  it('a changed language re-runs the writing, the voice and the title cards', () => {
    expect(changedStages((s) => (s.channel.persona.language = 'de'))).toEqual([
      'plan',
      'script',
      'refine',
      'metadata',
      'voice',
      'avatar',
      'broll',
      'assemble',
      'upload',
    ]);
  });

  it('a changed publish time re-runs only upload; a rotated secret nothing', () => {
    expect(changedStages((s) => (s.episode.publish!.at = '2026-12-24T09:00:00Z'))).toEqual(['upload']);
    expect(
      changedStages((s) => (s.channel.providers!.publisher = { ...s.channel.providers!.publisher!, secretRef: { name: 'other' } })),
    ).toEqual([]);
  });
});

describe('stageInputHashes with spec.script', () => {
  const withScript = (specs: ReturnType<typeof load>) => {
    specs.episode.script = {
      title: 'Tides, briefly',
      beats: [
        { heading: 'What pulls', narration: 'The moon pulls the oceans toward it.', broll: 'moon over the sea' },
        { heading: 'Twice a day', narration: 'Two bulges make two high tides a day.' },
        { narration: 'Now you know why the water comes and goes.' },
      ],
    };
  };
  const changedFromScript = (edit: (specs: ReturnType<typeof load>) => void) =>
    changedStages((s) => {
      withScript(s);
      edit(s);
    });
  // Both sides carry a script: the edit alone makes the difference.
  function changedBetweenScripts(edit: (specs: ReturnType<typeof load>) => void): StageName[] {
    const before = load();
    const after = load();
    withScript(before);
    withScript(after);
    edit(after);
    const a = stageInputHashes(before.channel, before.episode);
    const b = stageInputHashes(after.channel, after.episode);
    return (Object.keys(b) as StageName[]).filter((stage) => a[stage] !== b[stage]);
  }

  it("a beat's new words re-run voice, avatar, assemble and upload, not the writer, metadata or B-roll", () => {
    expect(changedBetweenScripts((s) => (s.episode.script!.beats[1].narration = 'Two bulges of water make two high tides.'))).toEqual([
      'voice',
      'avatar',
      'assemble',
      'upload',
    ]);
  });

  it('a new heading re-runs everything: chapters and title cards come from headings', () => {
    expect(changedBetweenScripts((s) => (s.episode.script!.beats[0].heading = 'Gravity'))).toEqual([
      'plan',
      'script',
      'refine',
      'metadata',
      'voice',
      'avatar',
      'broll',
      'assemble',
      'upload',
    ]);
  });

  it('the first words of a beat without a heading are its heading: changing them re-runs everything', () => {
    expect(changedBetweenScripts((s) => (s.episode.script!.beats[2].narration = 'So that is why the water comes and goes.'))).toContain(
      'plan',
    );
  });

  it('the writer model, topic and brief do not matter while the script is set', () => {
    expect(
      changedBetweenScripts((s) => {
        s.episode.brief = 'Another angle entirely.';
        s.episode.topic = 'Something else';
      }),
    ).toEqual([]);
  });

  it('a banned topic added to the Channel re-runs refine (which checks it) and voice (which checks the words again)', () => {
    const changed = changedBetweenScripts((s) => (s.channel.persona.bannedTopics = [...(s.channel.persona.bannedTopics ?? []), 'surfing']));
    expect(changed).toContain('refine');
    expect(changed).toContain('voice');
  });

  it('own media re-runs B-roll and what follows it only', () => {
    expect(
      changedBetweenScripts((s) => (s.episode.media = [{ beat: 1, uri: 'https://media.example/moon.mp4', license: 'CC BY 4.0' }])),
    ).toEqual(['broll', 'assemble', 'upload']);
  });

  it('setting a script where the writer wrote before re-runs everything', () => {
    expect(changedFromScript(() => undefined)).toEqual([
      'plan',
      'script',
      'refine',
      'metadata',
      'voice',
      'avatar',
      'broll',
      'assemble',
      'upload',
    ]);
  });
});

describe('skipped stages', () => {
  it('hand their dependencies on', () => {
    const active = activeStages({ ...load().channel, skipStages: ['refine', 'avatar'] }, load().episode);
    expect(active).toEqual(['plan', 'script', 'metadata', 'voice', 'broll', 'assemble', 'upload']);
    expect(activeDependencies('voice', active)).toEqual(['script']);
    expect(activeDependencies('assemble', active)).toEqual(['metadata', 'voice', 'broll']);
    expect(activeAncestors('assemble', active)).toEqual(['plan', 'script', 'metadata', 'voice', 'broll']);
  });
});

describe('canonicalJson', () => {
  it('sorts keys and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [2, { z: 1, y: 2 }] } })).toBe('{"a":{"c":[2,{"y":2,"z":1}]},"b":1}');
  });
});
