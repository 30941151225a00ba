import { describe, expect, it } from 'vitest';
import { avatarFrameSize, even, frameSize, framesFor, orientationOf, pictureInPicture, shownAvatarFrameSize } from './frame.ts';

describe('frames', () => {
  it('sizes the frame and the presenter', () => {
    expect(frameSize('16:9')).toEqual({ width: 1920, height: 1080 });
    expect(frameSize('9:16')).toEqual({ width: 1080, height: 1920 });
    expect(avatarFrameSize({ aspectRatio: '9:16', layout: 'avatar-full' })).toEqual({ width: 1080, height: 1920 });
    expect(avatarFrameSize({ aspectRatio: '16:9', layout: 'avatar-pip' })).toEqual({ width: 720, height: 720 });
    expect(avatarFrameSize({ aspectRatio: '16:9' })).toEqual({ width: 720, height: 720 });
    // What the picture-in-picture shows of it: 302 px of a 1080 px high frame, 538 of a 1920 px one.
    expect(shownAvatarFrameSize({ aspectRatio: '16:9', layout: 'avatar-pip' })).toEqual({ width: 302, height: 302 });
    expect(shownAvatarFrameSize({ aspectRatio: '16:9', layout: 'avatar-pip' }).width).toBe(pictureInPicture(frameSize('16:9')).size);
    expect(shownAvatarFrameSize({ aspectRatio: '9:16' })).toEqual({ width: 538, height: 538 });
    expect(shownAvatarFrameSize({ aspectRatio: '9:16', layout: 'avatar-full' })).toEqual({ width: 1080, height: 1920 });
    expect(framesFor(2.01)).toBe(60);
    expect(framesFor(0)).toBe(1);
    expect(orientationOf({ width: 720, height: 720 })).toBe('square');
    expect(orientationOf({ width: 1920, height: 1080 })).toBe('landscape');
    expect(orientationOf({ width: 1080, height: 1920 })).toBe('portrait');
    expect(even(301)).toBe(302);
    expect(even(302.4)).toBe(302);
  });
});
