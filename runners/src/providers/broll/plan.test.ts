import { describe, expect, it } from 'vitest';
import { testScript } from '../visuals/testing.ts';
import { beatSeconds, clipFileName, clipSearchTerms, countWords, planBrollClips } from './plan.ts';

describe('B-roll plan', () => {
  it('estimates a beat from its words at the channel’s pace', () => {
    expect(countWords('An index — a sorted copy, of 7 columns!')).toBe(8);
    expect(beatSeconds({ narration: 'one two three four five' }, 150)).toBe(2);
    expect(beatSeconds({ narration: 'one' }, 150)).toBe(1.5);
  });

  it('covers each beat with clips of about clipSeconds whose frames add up to the beat', () => {
    // 38 words at 150 wpm = 15.2 s = 456 frames → 3 clips of 152 frames at clipSeconds 6.
    const script = testScript([
      { heading: 'One', words: 38 },
      { heading: 'Two', words: 5 },
    ]);
    const clips = planBrollClips(script, { clipSeconds: 6, wordsPerMinute: 150 });
    const first = clips.filter((clip) => clip.beatId === 'beat-1');
    expect(first.map((clip) => clip.frames)).toEqual([152, 152, 152]);
    expect(first.every((clip) => clip.count === 3)).toBe(true);
    const second = clips.filter((clip) => clip.beatId === 'beat-2');
    expect(second).toHaveLength(1);
    expect(second[0].frames).toBe(60);
    expect(second[0].seconds).toBe(2);
  });

  it('spreads leftover frames over the first clips', () => {
    // 26 words at 140 wpm = 11.14 s = 334 frames → 3 clips of about 4 s.
    const clips = planBrollClips(testScript([{ heading: 'H', words: 26 }]), { clipSeconds: 4, wordsPerMinute: 140 });
    expect(clips.map((clip) => clip.frames)).toEqual([112, 111, 111]);
  });

  it('shows the beat’s cues in turn', () => {
    const clips = planBrollClips(testScript([{ heading: 'H', words: 50 }]), { clipSeconds: 4 });
    expect(clips.map((clip) => clip.cue?.description)).toEqual([
      'H, close up',
      'H, wide shot',
      'H, close up',
      'H, wide shot',
      'H, close up',
    ]);
  });

  it('names files by beat id and position', () => {
    expect(clipFileName('beat-1', 0)).toBe('broll-beat-1-1.mp4');
    expect(clipFileName('../odd id', 2, 'pexels')).toBe('pexels-odd-id-3.mp4');
  });

  it('searches with the cue keywords, else its description, else the heading', () => {
    expect(clipSearchTerms({ heading: 'H', cue: { description: 'd', keywords: ['library', 'card index', 'drawer', 'wood'] } })).toBe(
      'library card index drawer',
    );
    expect(clipSearchTerms({ heading: 'H', cue: { description: 'a busy server room', keywords: [] } })).toBe('a busy server room');
    expect(clipSearchTerms({ heading: 'Caching' })).toBe('Caching');
  });
});
