import { describe, expect, it } from 'vitest';
import { comparableUrl, Coverage, judgeEvent, mentions, nearIdentical, titleWords, type MatchableEvent } from './match.ts';

const event = (extra: Partial<MatchableEvent> = {}): MatchableEvent => ({
  source: 'trends',
  id: 'e1',
  title: 'PostgreSQL 18 ships asynchronous I/O',
  url: 'https://news.example.com/pg18',
  score: 0.8,
  keywords: [],
  ...extra,
});
const none = new Map<number, number>();
const reason = (verdict: ReturnType<typeof judgeEvent>) => (verdict.outcome === 'create' ? `create:${verdict.ruleIndex}` : verdict.reason);

describe('mentions', () => {
  it('finds a keyword as whole words, case-insensitive, in title, summary or keywords', () => {
    expect(mentions(event(), 'postgresql')).toBe(true);
    expect(mentions(event(), 'Postgres')).toBe(false);
    expect(mentions(event({ title: 'What the CEO said' }), 'ai')).toBe(false);
    expect(mentions(event({ title: 'Open-source AI, again' }), 'ai')).toBe(true);
    expect(mentions(event({ summary: 'about machine   learning' }), 'Machine learning')).toBe(true);
    expect(mentions(event({ keywords: ['C++'] }), 'c++')).toBe(true);
    expect(mentions(event({ title: 'Über Köln' }), 'köln')).toBe(true);
  });
});

describe('near-identical titles and URLs', () => {
  it('takes titles that differ in case, punctuation, accents or one word of many as the same', () => {
    const words = titleWords('PostgreSQL 18 ships asynchronous I/O');
    expect(nearIdentical(words, titleWords('postgresql 18 ships asynchronous i/o!'))).toBe(true);
    expect(nearIdentical(words, titleWords('PostgreSQL 18 finally ships asynchronous I/O'))).toBe(true);
    expect(nearIdentical(words, titleWords('PostgreSQL 17 ships asynchronous I/O'))).toBe(false);
    expect(nearIdentical(titleWords('Café au lait'), titleWords('cafe au lait'))).toBe(true);
    expect(nearIdentical(new Set(), new Set())).toBe(false);
  });

  it('compares URLs without fragment, tracking parameters, trailing slash or host case', () => {
    expect(comparableUrl('https://News.Example.com/pg18/?utm_source=x#top')).toBe('https://news.example.com/pg18');
    expect(comparableUrl('https://news.example.com/pg18?id=2')).not.toBe(comparableUrl('https://news.example.com/pg18?id=3'));
  });
});

describe('judgeEvent', () => {
  const rules = [
    { source: 'news', keywords: ['postgresql'], minScore: 0.5, maxEpisodesPerDay: 1 },
    { source: 'trends', keywords: ['postgresql', 'kubernetes'], minScore: 0.7, maxEpisodesPerDay: 2, requireApproval: false },
    { source: 'trends', keywords: [], minScore: 0.9, maxEpisodesPerDay: 1 },
  ];

  it('says the first thing that stands in the way, in order', () => {
    const coverage = new Coverage();
    expect(reason(judgeEvent(rules, event({ source: 'blogs' }), none, coverage, '2026-12-07'))).toBe('SourceNotInRules');
    expect(reason(judgeEvent(rules, event({ source: 'news', title: 'Kubernetes 2.0' }), none, coverage, '2026-12-07'))).toBe(
      'NoKeywordMatched',
    );
    expect(reason(judgeEvent(rules, event({ score: 0.6 }), none, coverage, '2026-12-07'))).toBe('BelowMinScore');
    expect(reason(judgeEvent(rules, event(), none, coverage, '2026-12-07'))).toBe('create:1');
    const verdict = judgeEvent(rules, event(), none, coverage, '2026-12-07');
    expect(verdict).toMatchObject({ outcome: 'create', requireApproval: false });
  });

  it('uses the next matching rule when the first has made its Episodes today, then refuses', () => {
    const coverage = new Coverage();
    const high = event({ score: 0.95 });
    expect(reason(judgeEvent(rules, high, new Map([[1, 2]]), coverage, '2026-12-07'))).toBe('create:2');
    const full = judgeEvent(
      rules,
      high,
      new Map([
        [1, 2],
        [2, 1],
      ]),
      coverage,
      '2026-12-07',
    );
    expect(full).toMatchObject({ outcome: 'skip', reason: 'DailyLimitReached', ruleIndex: 1 });
    expect(full.message).toMatch(/made its 2 Episode\(s\) for 2026-12-07 already/);
    expect(judgeEvent(rules, event(), none, coverage, 'd')).toMatchObject({ outcome: 'create' });
    expect(judgeEvent([{ source: 'trends' }], event(), none, coverage, 'd')).toMatchObject({ outcome: 'create', requireApproval: true });
  });

  it('refuses a topic the Channel covered: same URL or near-identical title', () => {
    const coverage = new Coverage();
    coverage.add('pg-episode', 'PostgreSQL 18 ships asynchronous I/O today', ['https://elsewhere.example.com/a']);
    coverage.add('other', 'Something else', ['https://news.example.com/k8s/']);
    const byTitle = judgeEvent(rules, event(), none, coverage, 'd');
    expect(byTitle).toMatchObject({ outcome: 'skip', reason: 'AlreadyCovered' });
    expect(byTitle.message).toBe('the Channel covered it already: pg-episode has a near-identical title');
    const byUrl = judgeEvent(rules, event({ title: 'Kubernetes news', url: 'https://news.example.com/k8s#x' }), none, coverage, 'd');
    expect(byUrl.message).toBe('the Channel covered it already: other has the same URL');
  });
});
