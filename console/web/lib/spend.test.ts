import { describe, expect, it } from 'vitest';
import { STAGES } from '@acog/api/pipeline';
import type { SpendReport } from '../../src/http/schemas.ts';
import { PALETTE, channelsInMonth, colours, monthByStageAndProvider, monthlyByChannel } from './spend.ts';

const month = (m: string, actualUSD: number) => ({ month: m, actualUSD, attempts: 1 });
const report: SpendReport = {
  namespace: 'team-a',
  month: '2026-12',
  months: ['2026-10', '2026-11', '2026-12'],
  channels: [
    {
      channel: 'science',
      limitUSD: 50,
      exists: true,
      months: [month('2026-10', 1.2), month('2026-12', 40.106)],
      actualUSD: 40.106,
      reservedUSD: 2.5,
    },
    { channel: 'history', exists: false, months: [month('2026-11', 3)], actualUSD: 0, reservedUSD: 0 },
    { channel: 'free', limitUSD: 0, exists: true, months: [], actualUSD: 0, reservedUSD: 0 },
  ],
  byStageProvider: [
    { channel: 'science', stage: 'broll', provider: 'runway', actualUSD: 27.305, attempts: 2 },
    { channel: 'science', stage: 'plan', provider: 'openai', actualUSD: 0.1, attempts: 1 },
    { channel: 'science', stage: 'voice', provider: 'elevenlabs', actualUSD: 10, attempts: 1 },
    { channel: 'history', stage: 'plan', provider: 'openai', actualUSD: 0.2, attempts: 1 },
    { channel: 'science', stage: 'voice', provider: 'openai', actualUSD: 2.5, attempts: 1 },
    { channel: 'science', stage: 'zeta', provider: 'openai', actualUSD: 1, attempts: 1 },
  ],
  totalUSD: 40.106,
};

describe('the Spend page figures', () => {
  it('puts each month on the axis and a bar per Channel, 0 for a month without spend', () => {
    const data = monthlyByChannel(report);
    expect(data.labels).toEqual(['2026-10', '2026-11', '2026-12']);
    expect(data.series.map((s) => [s.label, s.data])).toEqual([
      ['science', [1.2, 0, 40.11]],
      ['history', [0, 3, 0]],
      ['free', [0, 0, 0]],
    ]);
  });

  it('gives each name the same colour whatever the order it comes in', () => {
    const a = colours(['science', 'history', 'free']);
    const b = colours(['free', 'science', 'history', 'science']);
    expect([...a.entries()]).toEqual([...b.entries()]);
    expect(a.get('free')).toBe(PALETTE[0]);
    expect(monthlyByChannel(report).series.find((s) => s.label === 'history')!.color).toBe(a.get('history'));
  });

  it('adds the Channels together per stage, stacked per provider, stages in pipeline order', () => {
    const data = monthByStageAndProvider(report, STAGES);
    expect(data.labels).toEqual(['plan', 'voice', 'broll', 'zeta']);
    expect(data.series.map((s) => [s.label, s.data])).toEqual([
      ['elevenlabs', [0, 10, 0, 0]],
      ['openai', [0.3, 2.5, 0, 1]],
      ['runway', [0, 0, 27.31, 0]],
    ]);
  });

  it("sets each Channel's spend in the month against its limit", () => {
    expect(channelsInMonth(report)).toEqual([
      { channel: 'science', exists: true, costUSD: 40.11, reservedUSD: 2.5, limitUSD: 50, share: 40.11 / 50 },
      { channel: 'history', exists: false, costUSD: 0, reservedUSD: 0, limitUSD: undefined, share: undefined },
      { channel: 'free', exists: true, costUSD: 0, reservedUSD: 0, limitUSD: 0, share: 0 },
    ]);
    const over = {
      ...report,
      channels: [{ channel: 'free', limitUSD: 0, exists: true, months: [month('2026-12', 1)], actualUSD: 1, reservedUSD: 0 }],
    };
    expect(channelsInMonth(over)[0]!.share).toBe(Infinity);
  });
});
