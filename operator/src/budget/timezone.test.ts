import { describe, expect, it } from 'vitest';
import type { ChannelSpec } from '@acog/api';
import { safeTimezone } from './timezone.ts';

const withZone = (timezone?: string) => (timezone ? { schedule: { cron: '0 9 * * *', timezone } } : {}) as Pick<ChannelSpec, 'schedule'>;

describe('safeTimezone', () => {
  it('keeps a zone Intl knows, asked once or many times', () => {
    expect(safeTimezone(withZone('Europe/Berlin'))).toBe('Europe/Berlin');
    expect(safeTimezone(withZone('Europe/Berlin'))).toBe('Europe/Berlin');
    expect(safeTimezone(withZone('America/New_York'))).toBe('America/New_York');
  });

  it('falls back to UTC for a zone Intl does not know, every time it is asked', () => {
    expect(safeTimezone(withZone('Mars/Olympus_Mons'))).toBe('UTC');
    expect(safeTimezone(withZone('Mars/Olympus_Mons'))).toBe('UTC');
  });

  it('is UTC without a schedule', () => {
    expect(safeTimezone(withZone())).toBe('UTC');
  });
});
