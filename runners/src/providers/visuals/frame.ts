// Output geometry shared by the avatar and B-roll providers.
import type { ChannelSpec } from '@acog/api';

export const FPS = 30;

export interface FrameSize {
  width: number;
  height: number;
}

export type AspectRatio = ChannelSpec['format']['aspectRatio'];
export type Layout = NonNullable<ChannelSpec['format']['layout']>;

/** The final video's size: 1920x1080 for 16:9, 1080x1920 for 9:16. */
export function frameSize(aspectRatio: AspectRatio): FrameSize {
  return aspectRatio === '9:16' ? { width: 1080, height: 1920 } : { width: 1920, height: 1080 };
}

/** The presenter video: the whole frame for avatar-full, a 720x720 square the assembler places otherwise. */
export function avatarFrameSize(format: Pick<ChannelSpec['format'], 'aspectRatio' | 'layout'>): FrameSize {
  return format.layout === 'avatar-full' ? frameSize(format.aspectRatio) : { width: 720, height: 720 };
}

/** Whole frames at 30 fps for a length in seconds (at least one). */
export function framesFor(seconds: number): number {
  return Math.max(1, Math.round(seconds * FPS));
}

export function orientationOf(size: FrameSize): 'landscape' | 'portrait' | 'square' {
  if (size.width === size.height) return 'square';
  return size.width > size.height ? 'landscape' : 'portrait';
}
