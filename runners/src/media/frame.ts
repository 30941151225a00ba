// Output picture geometry shared by the filter graph, the captions, the thumbnail and the avatar and
// B-roll providers (pure).
import type { ChannelSpec } from '@acog/api';

export type ChannelFormat = ChannelSpec['format'];
export type AspectRatio = ChannelFormat['aspectRatio'];
export type Layout = NonNullable<ChannelFormat['layout']>;

export const FRAME_RATE = 30;

export interface FrameSize {
  width: number;
  height: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The final video's size: 1920x1080 for 16:9, 1080x1920 for 9:16. */
export function frameSize(aspectRatio: AspectRatio): FrameSize {
  return aspectRatio === '9:16' ? { width: 1080, height: 1920 } : { width: 1920, height: 1080 };
}

/** The presenter video: the whole frame for avatar-full, a 720x720 square the assembler places otherwise. */
export function avatarFrameSize(format: Pick<ChannelFormat, 'aspectRatio' | 'layout'>): FrameSize {
  return format.layout === 'avatar-full' ? frameSize(format.aspectRatio) : { width: 720, height: 720 };
}

/**
 * The size the presenter is seen at in the final video: the whole frame for avatar-full, else the
 * picture-in-picture square. A presenter drawn offline (the audiogram) is rendered at this size, so
 * that no pixel is made that the assembly would scale away.
 */
export function shownAvatarFrameSize(format: Pick<ChannelFormat, 'aspectRatio' | 'layout'>): FrameSize {
  if (format.layout === 'avatar-full') return frameSize(format.aspectRatio);
  const { size } = pictureInPicture(frameSize(format.aspectRatio));
  return { width: size, height: size };
}

/** Whole frames at FRAME_RATE for a length in seconds (at least one). */
export function framesFor(seconds: number): number {
  return Math.max(1, Math.round(seconds * FRAME_RATE));
}

export function orientationOf(size: FrameSize): 'landscape' | 'portrait' | 'square' {
  if (size.width === size.height) return 'square';
  return size.width > size.height ? 'landscape' : 'portrait';
}

/** The nearest even number of pixels (what yuv420p needs of a width or height). */
export const even = (value: number) => 2 * Math.round(value / 2);

export interface PictureInPicture {
  /** The avatar picture itself (square for the usual 720x720 presenter video). */
  size: number;
  /** Brand-coloured frame around it. */
  border: number;
  /** Where the framed avatar sits on the output picture, border included. */
  rect: Rect;
}

/**
 * The presenter's corner: about 28% of the frame height. 16:9 puts it bottom right; 9:16 puts it
 * top right, below the Shorts player's top bar, because the lower third there is covered by the
 * title, the channel line and the action buttons.
 */
export function pictureInPicture(frame: FrameSize): PictureInPicture {
  const size = even(frame.height * 0.28);
  const border = Math.max(2, even(frame.height * 0.004));
  const outer = size + 2 * border;
  const margin = even(frame.height * 0.03);
  const portrait = frame.height > frame.width;
  const x = frame.width - outer - margin;
  const y = portrait ? even(frame.height * 0.1) : frame.height - outer - margin;
  return { size, border, rect: { x, y, width: outer, height: outer } };
}

/** The layout actually drawn: without a presenter video, both avatar layouts fall back to B-roll only. */
export function effectiveLayout(layout: Layout | undefined, hasAvatar: boolean): Layout {
  const wanted = layout ?? 'avatar-pip';
  return hasAvatar ? wanted : 'broll-only';
}
