import { describe, expect, it } from 'vitest';
import { presentation } from './server.ts';

describe('presentation', () => {
  it('serves the media the console shows inline, JSON as a download, anything else as an octet-stream attachment', () => {
    expect(presentation('video/mp4', 'video.mp4', false)).toEqual({ type: 'video/mp4', disposition: 'inline; filename="video.mp4"' });
    expect(presentation('video/mp4', 'video.mp4', true).disposition).toBe('attachment; filename="video.mp4"');
    expect(presentation('audio/wav', 'narration.wav', false).disposition).toMatch(/^inline/);
    expect(presentation(undefined, 'captions.vtt', false)).toEqual({ type: 'text/vtt', disposition: 'inline; filename="captions.vtt"' });
    expect(presentation('application/octet-stream', 'captions.srt', false).type).toBe('application/x-subrip');
    expect(presentation('image/png', 'card.png', false).disposition).toMatch(/^inline/);
    expect(presentation('application/json', 'metadata.json', false)).toEqual({
      type: 'application/json',
      disposition: 'attachment; filename="metadata.json"',
    });
    for (const [type, file] of [
      ['text/html', 'video.mp4'],
      ['image/svg+xml', 'x.svg'],
      ['text/plain', 'notes.txt'],
      ['application/javascript', 'a.js'],
      ['text/html; charset=utf-8', 'index.html'],
      ['VIDEO/MP4x', 'v.mp4'],
    ])
      expect(presentation(type, file, false).type, type).toBe('application/octet-stream');
    expect(presentation('text/html', 'a "quoted"\r\nname.html', false).disposition).toBe('attachment; filename="a__quoted___name.html"');
  });
});
