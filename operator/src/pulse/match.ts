// Whether a pulse event becomes an Episode of a Channel, and if not why: pure, on the Channel's
// rules, the Episodes its rules made today, and what the Channel covered already. The reasons are
// tried in a fixed order (source, keywords, score, covered, daily limit), so that a decision names
// the first thing that stood in the way.
import type { Channel, PulseEvent, PulseReason } from '@acog/api';

type PulseRule = NonNullable<NonNullable<Channel['spec']['pulse']>['rules']>[number];

/** What matching reads of an event: the wire format's fields but its publication time. */
export type MatchableEvent = Omit<PulseEvent, 'publishedAt'>;

export type Verdict =
  | { outcome: 'create'; ruleIndex: number; requireApproval: boolean; message: string }
  | { outcome: 'skip'; reason: Exclude<PulseReason, 'Created' | 'ChannelNotReady'>; ruleIndex?: number; message: string };

export const DEFAULT_MIN_SCORE = 0.5;
export const DEFAULT_MAX_EPISODES_PER_DAY = 1;
/** Two titles are near-identical when their word sets overlap this much (Jaccard: shared / all). */
export const NEAR_IDENTICAL_TITLES = 0.8;

/** A URL as compared for coverage: scheme and host lower-cased, no fragment, no utm_* parameters, no trailing slash. */
export function comparableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.hash = '';
    for (const key of [...parsed.searchParams.keys()]) if (key.toLowerCase().startsWith('utm_')) parsed.searchParams.delete(key);
    const text = `${parsed.protocol}//${parsed.host.toLowerCase()}${parsed.pathname.replace(/\/+$/, '')}${parsed.search}`;
    return text;
  } catch {
    return url.trim();
  }
}

/** A title's words: lower-cased, accents dropped, split at anything that is not a letter or a digit. */
export function titleWords(title: string): Set<string> {
  const plain = title
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
  return new Set(plain.split(/[^\p{L}\p{N}]+/u).filter(Boolean));
}

export function nearIdentical(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (!a.size || !b.size) return false;
  let shared = 0;
  for (const word of a) if (b.has(word)) shared++;
  return shared / (a.size + b.size - shared) >= NEAR_IDENTICAL_TITLES;
}

/** What a Channel covered: its Episodes' reference URLs and topics, with the Episode that covered each. */
export class Coverage {
  private readonly urls = new Map<string, string>();
  private readonly titles: { words: Set<string>; episode: string }[] = [];

  add(episode: string, topic: string | undefined, urls: readonly string[]): void {
    for (const url of urls) if (!this.urls.has(comparableUrl(url))) this.urls.set(comparableUrl(url), episode);
    if (topic) this.titles.push({ words: titleWords(topic), episode });
  }

  /** Why the event's topic is covered already (a sentence), or undefined. */
  covers(event: Pick<MatchableEvent, 'title' | 'url'>): string | undefined {
    const byUrl = this.urls.get(comparableUrl(event.url));
    if (byUrl) return `the Channel covered it already: ${byUrl} has the same URL`;
    const words = titleWords(event.title);
    const similar = this.titles.find((title) => nearIdentical(words, title.words));
    if (similar) return `the Channel covered it already: ${similar.episode} has a near-identical title`;
    return undefined;
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const keywordPatterns = new Map<string, RegExp>();

/** Whether `keyword` occurs as whole words (case-insensitive) in the event's title, summary or keywords. */
export function mentions(event: Pick<MatchableEvent, 'title' | 'summary' | 'keywords'>, keyword: string): boolean {
  let pattern = keywordPatterns.get(keyword);
  if (!pattern) {
    const words = keyword.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
    pattern = new RegExp(`(?<![\\p{L}\\p{N}])${words}(?![\\p{L}\\p{N}])`, 'iu');
    if (keywordPatterns.size > 10_000) keywordPatterns.clear();
    keywordPatterns.set(keyword, pattern);
  }
  return [event.title, event.summary ?? '', ...event.keywords].some((text) => pattern.test(text));
}

/**
 * The verdict for one event. `createdToday` counts the Episodes each rule (by index) made today;
 * `day` names the day in messages.
 */
export function judgeEvent(
  rules: readonly PulseRule[],
  event: MatchableEvent,
  createdToday: ReadonlyMap<number, number>,
  coverage: Coverage,
  day: string,
): Verdict {
  const ofSource = rules.map((rule, index) => ({ rule, index })).filter(({ rule }) => rule.source === event.source);
  if (!ofSource.length)
    return { outcome: 'skip', reason: 'SourceNotInRules', message: `no rule of the Channel takes events of the source "${event.source}"` };
  const withKeyword = ofSource.filter(({ rule }) => !rule.keywords?.length || rule.keywords.some((keyword) => mentions(event, keyword)));
  if (!withKeyword.length) {
    const keywords = [...new Set(ofSource.flatMap(({ rule }) => rule.keywords ?? []))];
    return {
      outcome: 'skip',
      reason: 'NoKeywordMatched',
      ruleIndex: ofSource[0]!.index,
      message: `none of the keywords ${keywords.map((k) => `"${k}"`).join(', ')} is in the event's title, summary or keywords as a whole word`,
    };
  }
  const withScore = withKeyword.filter(({ rule }) => event.score >= (rule.minScore ?? DEFAULT_MIN_SCORE));
  if (!withScore.length) {
    const lowest = Math.min(...withKeyword.map(({ rule }) => rule.minScore ?? DEFAULT_MIN_SCORE));
    return {
      outcome: 'skip',
      reason: 'BelowMinScore',
      ruleIndex: withKeyword[0]!.index,
      message: `the score ${event.score} is below the minScore ${lowest} of the matching rule`,
    };
  }
  const covered = coverage.covers(event);
  if (covered) return { outcome: 'skip', reason: 'AlreadyCovered', ruleIndex: withScore[0]!.index, message: covered };
  const withRoom = withScore.find(
    ({ rule, index }) => (createdToday.get(index) ?? 0) < (rule.maxEpisodesPerDay ?? DEFAULT_MAX_EPISODES_PER_DAY),
  );
  if (!withRoom) {
    const { rule, index } = withScore[0]!;
    return {
      outcome: 'skip',
      reason: 'DailyLimitReached',
      ruleIndex: index,
      message: `the matching rule made its ${rule.maxEpisodesPerDay ?? DEFAULT_MAX_EPISODES_PER_DAY} Episode(s) for ${day} already (maxEpisodesPerDay); a schedule without topics left may take it`,
    };
  }
  const requireApproval = withRoom.rule.requireApproval ?? true;
  return {
    outcome: 'create',
    ruleIndex: withRoom.index,
    requireApproval,
    message: `rule ${withRoom.index} (source "${event.source}") matched${requireApproval ? '; waiting for approval at plan' : ''}`,
  };
}
