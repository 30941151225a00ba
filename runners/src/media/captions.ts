// Caption cues from the narration's word timings, written as SRT, WebVTT and ASS (for burning in).
// Pure: no files, no processes.
import type { WordTiming } from '../contract/documents.ts';
import { assColor, assDocument, ASS_FONT, centiseconds, escapeAssText, titleTextStyle, type AssEvent, type AssStyle } from './ass.ts';
import { darkenTo, lightenTo, parseHexColor, drawColorForBt709, DEFAULT_BRAND_COLOR, type Rgb } from './color.ts';
import type { AspectRatio, ChannelFormat, FrameSize, Rect } from './frame.ts';

export type CaptionSettings = NonNullable<ChannelFormat['captions']>;
export type CaptionStyle = NonNullable<CaptionSettings['style']>;
export type CaptionPosition = NonNullable<CaptionSettings['position']>;

export interface CaptionCue {
  /** Seconds from the start of the narration. */
  start: number;
  end: number;
  text: string;
  /** The words the cue shows, with their own timings (for karaoke). */
  words: WordTiming[];
}

export interface CueOptions {
  /** Length of the narration audio: no cue reaches past it. */
  narrationSeconds: number;
  maxWordsPerCue?: number;
  /** Two lines of 42 characters, the usual subtitle limit. */
  maxCharsPerCue?: number;
  minCueSeconds?: number;
  maxCueSeconds?: number;
  /** A silence at least this long between two words ends a cue. */
  pauseSeconds?: number;
  /** A gap shorter than this between two cues is closed, so captions do not flicker off and on. */
  joinGapSeconds?: number;
}

export const CUE_DEFAULTS = {
  maxWordsPerCue: 7,
  maxCharsPerCue: 84,
  minCueSeconds: 1,
  maxCueSeconds: 6,
  pauseSeconds: 0.45,
  joinGapSeconds: 0.3,
} as const;

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const SENTENCE_END = /[.!?…]["'”’»)\]]*$/;
const CLAUSE_END = /[,;:–—]["'”’»)\]]*$/;

function cleanWords(words: WordTiming[], narrationSeconds: number): WordTiming[] {
  const cleaned: WordTiming[] = [];
  for (const word of words) {
    const text = word.text.replace(/\s+/g, ' ').trim();
    if (!text || !Number.isFinite(word.start) || !Number.isFinite(word.end)) continue;
    const start = Math.max(0, word.start);
    if (start >= narrationSeconds) continue;
    const end = Math.min(narrationSeconds, Math.max(start, word.end));
    cleaned.push({ text, start, end });
  }
  return cleaned.sort((a, b) => a.start - b.start);
}

/**
 * Groups words into cues: at most maxWordsPerCue words, maxCharsPerCue characters and
 * maxCueSeconds; a new cue after a sentence end and at a pause; a clause end (comma, colon…) ends
 * a cue that is more than half full, and a cue that fills up ends at its last clause end when it
 * has one. Cues are then stretched to minCueSeconds where the next cue leaves room, never overlap,
 * and stay inside the narration.
 */
export function buildCaptionCues(words: WordTiming[], options: CueOptions): CaptionCue[] {
  const o = { ...CUE_DEFAULTS, ...definedOnly(options) };
  const groups: WordTiming[][] = [];
  let group: WordTiming[] = [];
  const textLength = (g: WordTiming[]) => g.reduce((n, w) => n + w.text.length, 0) + Math.max(0, g.length - 1);
  const wouldOverflow = (g: WordTiming[], word: WordTiming) =>
    g.length >= o.maxWordsPerCue || textLength(g) + 1 + word.text.length > o.maxCharsPerCue || word.end - g[0].start > o.maxCueSeconds;
  for (const word of cleanWords(words, o.narrationSeconds)) {
    if (group.length > 0 && word.start - group[group.length - 1].end >= o.pauseSeconds) {
      groups.push(group);
      group = [];
    }
    if (group.length > 0 && wouldOverflow(group, word)) {
      // A full cue ends at its last clause boundary when it has one; the words after it open the next cue.
      let cut = group.length - 1;
      for (let i = group.length - 2; i >= 1; i--) {
        if (CLAUSE_END.test(group[i].text)) {
          cut = i;
          break;
        }
      }
      groups.push(group.slice(0, cut + 1));
      group = group.slice(cut + 1);
      if (group.length > 0 && wouldOverflow(group, word)) {
        groups.push(group);
        group = [];
      }
    }
    group.push(word);
    const sentenceEnd = SENTENCE_END.test(word.text);
    const clauseEnd = CLAUSE_END.test(word.text) && group.length >= Math.max(2, Math.ceil(o.maxWordsPerCue / 2));
    if (sentenceEnd || clauseEnd) {
      groups.push(group);
      group = [];
    }
  }
  if (group.length > 0) groups.push(group);

  const cues: CaptionCue[] = groups.map((g) => ({
    start: g[0].start,
    end: Math.min(g[g.length - 1].end, g[0].start + o.maxCueSeconds),
    text: g.map((w) => w.text).join(' '),
    words: g,
  }));
  for (let i = 0; i < cues.length; i++) {
    const cue = cues[i];
    const limit = i + 1 < cues.length ? cues[i + 1].start : o.narrationSeconds;
    cue.end = Math.min(Math.max(cue.end, cue.start + o.minCueSeconds), limit);
    if (limit - cue.end < o.joinGapSeconds && limit - cue.start <= o.maxCueSeconds) cue.end = limit;
  }
  return cues.filter((cue) => cue.end > cue.start);
}

/** Splits a caption into at most two balanced lines when it is longer than one line. */
export function wrapCaptionLines(text: string, maxLineChars = 42): string[] {
  if (text.length <= maxLineChars) return [text];
  const words = text.split(' ');
  let best: string[] = [text];
  let bestLongest = Infinity;
  for (let split = 1; split < words.length; split++) {
    const lines = [words.slice(0, split).join(' '), words.slice(split).join(' ')];
    const longest = Math.max(lines[0].length, lines[1].length);
    if (longest < bestLongest) {
      best = lines;
      bestLongest = longest;
    }
  }
  return best;
}

function splitMillis(seconds: number): [number, number, number, number] {
  const total = Math.max(0, Math.round(seconds * 1000));
  return [Math.floor(total / 3_600_000), Math.floor(total / 60_000) % 60, Math.floor(total / 1000) % 60, total % 1000];
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `HH:MM:SS,mmm` */
export function formatSrtTime(seconds: number): string {
  const [h, m, s, ms] = splitMillis(seconds);
  return `${pad(h)}:${pad(m)}:${pad(s)},${pad(ms, 3)}`;
}

/** `HH:MM:SS.mmm` */
export function formatVttTime(seconds: number): string {
  const [h, m, s, ms] = splitMillis(seconds);
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms, 3)}`;
}

/** SubRip text; times shifted by `offsetSeconds` (the intro's length in the final video). */
export function writeSrt(cues: CaptionCue[], offsetSeconds = 0): string {
  return cues
    .map((cue, i) =>
      [
        `${i + 1}`,
        `${formatSrtTime(cue.start + offsetSeconds)} --> ${formatSrtTime(cue.end + offsetSeconds)}`,
        ...wrapCaptionLines(cue.text),
        '',
      ].join('\n'),
    )
    .join('\n');
}

const escapeVtt = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** WebVTT text; times shifted by `offsetSeconds`. */
export function writeVtt(cues: CaptionCue[], offsetSeconds = 0): string {
  const blocks = cues.map((cue, i) =>
    [
      `${i + 1}`,
      `${formatVttTime(cue.start + offsetSeconds)} --> ${formatVttTime(cue.end + offsetSeconds)}`,
      ...wrapCaptionLines(cue.text).map(escapeVtt),
      '',
    ].join('\n'),
  );
  return ['WEBVTT', '', ...blocks].join('\n');
}

// ---- ASS ----------------------------------------------------------------------------------

/** Caption font size in output pixels when the channel sets none. */
export function defaultCaptionFontSize(aspectRatio: AspectRatio, style: CaptionStyle): number {
  const sizes: Record<CaptionStyle, [number, number]> = { karaoke: [64, 72], block: [58, 64], minimal: [44, 50] };
  return sizes[style][aspectRatio === '9:16' ? 1 : 0];
}

export interface CaptionPlacement {
  alignment: number;
  marginL: number;
  marginR: number;
  marginV: number;
}

/**
 * Where the captions sit. Bottom captions on 9:16 stay above the Shorts title and buttons. When
 * the caption band would cross `avoid` (the presenter's corner), the captions narrow between side
 * margins if that leaves half the width, otherwise they move past it vertically.
 */
export function captionPlacement(frame: FrameSize, position: CaptionPosition, fontSize: number, avoid?: Rect): CaptionPlacement {
  const portrait = frame.height > frame.width;
  const side = Math.round(frame.width * 0.06);
  const gap = Math.round(frame.height * 0.02);
  const bandHeight = Math.round(2 * 1.3 * fontSize);
  let marginV = 0;
  let top: number;
  if (position === 'bottom') {
    marginV = Math.round(frame.height * (portrait ? 0.2 : 0.075));
    top = frame.height - marginV - bandHeight;
  } else if (position === 'top') {
    marginV = Math.round(frame.height * (portrait ? 0.12 : 0.075));
    top = marginV;
  } else {
    top = Math.round((frame.height - bandHeight) / 2);
  }
  const alignment = position === 'bottom' ? 2 : position === 'top' ? 8 : 5;
  const placement: CaptionPlacement = { alignment, marginL: side, marginR: side, marginV };
  if (!avoid || top >= avoid.y + avoid.height || top + bandHeight <= avoid.y) return placement;

  const onRight = avoid.x + avoid.width / 2 > frame.width / 2;
  const needed = onRight ? frame.width - avoid.x + gap : avoid.x + avoid.width + gap;
  if (frame.width - 2 * needed >= frame.width / 2 || position === 'middle') {
    return { ...placement, marginL: Math.max(side, needed), marginR: Math.max(side, needed) };
  }
  const clearMargin = position === 'bottom' ? frame.height - avoid.y + gap : avoid.y + avoid.height + gap;
  return { ...placement, marginV: clearMargin };
}

/** A title card's text: the intro's or the outro's. */
export interface TitleCard {
  /** Seconds in the final video. */
  start: number;
  end: number;
  text: string;
}

export interface AssOptions {
  frame: FrameSize;
  aspectRatio: AspectRatio;
  captions?: CaptionSettings;
  brandColor?: string;
  /** Seconds the narration starts after in the final video (the intro's length). */
  offsetSeconds: number;
  /** Cues are drawn only when true (captions.burnIn); cards are drawn either way. */
  burnIn: boolean;
  cards?: TitleCard[];
  /** The presenter's corner, which captions keep clear of. */
  avoid?: Rect;
  /**
   * The picture the script is burned into is YUV tagged BT.709 (the video): colours are
   * pre-compensated for ffmpeg 5.1's BT.601 drawing (see drawColorForBt709).
   */
  bt709Video: boolean;
}

export const CAPTION_STYLE = 'Caption';
export const CARD_STYLE = 'Card';

function captionStyle(options: AssOptions, color: (c: Rgb, alpha?: number) => string): AssStyle {
  const style = options.captions?.style ?? 'block';
  const fontSize = options.captions?.fontSize ?? defaultCaptionFontSize(options.aspectRatio, style);
  const placement = captionPlacement(options.frame, options.captions?.position ?? 'bottom', fontSize, options.avoid);
  const brand = parseHexColor(options.brandColor ?? DEFAULT_BRAND_COLOR);
  const white = color({ r: 255, g: 255, b: 255 });
  const black = (alpha: number) => assColor({ r: 0, g: 0, b: 0 }, alpha);
  const base = { name: CAPTION_STYLE, fontName: ASS_FONT, fontSize, ...placement };
  switch (style) {
    case 'karaoke':
      // Karaoke fills a word with the primary colour once it is spoken; until then it shows the secondary.
      return {
        ...base,
        primary: color(lightenTo(brand, 0.4)),
        secondary: white,
        outlineColor: black(0),
        back: black(0x80),
        bold: true,
        borderStyle: 1,
        outline: Math.max(2, Math.round(fontSize * 0.07)),
        shadow: Math.max(1, Math.round(fontSize * 0.03)),
      };
    case 'minimal':
      return {
        ...base,
        primary: white,
        secondary: white,
        outlineColor: black(0),
        back: black(0xa0),
        bold: false,
        borderStyle: 1,
        outline: Math.max(1, Math.round(fontSize * 0.05)),
        shadow: 1,
      };
    case 'block':
      return {
        ...base,
        primary: white,
        secondary: white,
        outlineColor: color(darkenTo(brand, 0.15), 0x30),
        back: black(0xff),
        bold: true,
        borderStyle: 3,
        outline: Math.round(fontSize * 0.2),
        shadow: 0,
      };
  }
}

function cardStyle(options: AssOptions, color: (c: Rgb, alpha?: number) => string): AssStyle {
  const fontSize = options.aspectRatio === '9:16' ? 80 : 88;
  return titleTextStyle({
    name: CARD_STYLE,
    fontSize,
    textColor: color({ r: 255, g: 255, b: 255 }),
    outline: 0,
    shadow: Math.round(fontSize * 0.04),
    shadowAlpha: 0xa0,
    sideMargin: Math.round(options.frame.width * 0.1),
  });
}

/**
 * Karaoke text: each word carries `\k` with the centiseconds until the next word starts (the last
 * one until the cue ends), so a word lights up as it is spoken. Durations are differences of
 * rounded absolute times, so rounding never drifts along the line.
 */
export function karaokeText(cue: CaptionCue, offsetSeconds: number): string {
  const cueStart = centiseconds(cue.start + offsetSeconds);
  const cueEnd = centiseconds(cue.end + offsetSeconds);
  const starts: number[] = [];
  for (const word of cue.words) {
    const previous = starts.length > 0 ? starts[starts.length - 1] : cueStart;
    starts.push(Math.min(cueEnd, Math.max(previous, centiseconds(word.start + offsetSeconds))));
  }
  const lead = starts.length > 0 ? starts[0] - cueStart : 0;
  const parts = cue.words.map((word, i) => {
    const next = i + 1 < starts.length ? starts[i + 1] : cueEnd;
    return `{\\k${next - starts[i]}}${escapeAssText(word.text)}`;
  });
  return (lead > 0 ? `{\\k${lead}}` : '') + parts.join(' ');
}

/** The ASS script burned into the video: caption cues (when burnIn) and the title cards' text. */
export function writeAss(cues: CaptionCue[], options: AssOptions): string {
  const color = (c: Rgb, alpha = 0) => assColor(options.bt709Video ? drawColorForBt709(c) : c, alpha);
  const style = options.captions?.style ?? 'block';
  const events: AssEvent[] = [];
  if (options.burnIn) {
    for (const cue of cues) {
      events.push({
        layer: 0,
        start: cue.start + options.offsetSeconds,
        end: cue.end + options.offsetSeconds,
        style: CAPTION_STYLE,
        text: style === 'karaoke' ? karaokeText(cue, options.offsetSeconds) : escapeAssText(cue.text),
      });
    }
  }
  for (const card of options.cards ?? []) {
    if (!card.text.trim() || card.end <= card.start) continue;
    const fade = Math.round(Math.min(300, ((card.end - card.start) * 1000) / 4));
    events.push({
      layer: 1,
      start: card.start,
      end: card.end,
      style: CARD_STYLE,
      text: `{\\fad(${fade},${fade})}${escapeAssText(card.text)}`,
    });
  }
  return assDocument(options.frame, [captionStyle(options, color), cardStyle(options, color)], events);
}
