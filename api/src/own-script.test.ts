import { describe, expect, it } from 'vitest';
import { headingFromNarration, ownScriptBeats, ownScriptOutline } from './own-script.ts';

describe('ownScriptBeats', () => {
  it('numbers the beats and fills in headings and cues', () => {
    const beats = ownScriptBeats({
      beats: [
        { heading: 'Gravity', narration: 'The moon pulls.', broll: 'moon over water' },
        { heading: 'Twice a day', narration: 'Two bulges.' },
        { narration: 'So now you know, friends: the water comes and goes.' },
      ],
    });
    expect(beats).toEqual([
      { id: 'beat-1', heading: 'Gravity', broll: 'moon over water', narration: 'The moon pulls.' },
      { id: 'beat-2', heading: 'Twice a day', broll: 'Twice a day', narration: 'Two bulges.' },
      {
        id: 'beat-3',
        heading: 'So now you know, friends: the',
        broll: 'So now you know, friends: the',
        narration: 'So now you know, friends: the water comes and goes.',
      },
    ]);
  });

  it('makes a heading of the first words without trailing punctuation', () => {
    expect(headingFromNarration('  Hello, world!  ')).toBe('Hello, world');
    expect(headingFromNarration('One two three four five, six seven')).toBe('One two three four five, six');
    expect([...headingFromNarration('x'.repeat(300))].length).toBe(80);
  });

  it('the outline leaves the words out, and takes the topic when the script has no title', () => {
    expect(ownScriptOutline({ topic: 'Tides', script: { beats: [{ heading: 'A', narration: 'Words here.' }] } })).toEqual({
      title: 'Tides',
      beats: [{ id: 'beat-1', heading: 'A', broll: 'A' }],
    });
    expect(ownScriptOutline({ topic: 'Tides' })).toBeUndefined();
  });
});
