// Where a Channel's B-roll comes from: offline motion graphics unless Pexels or Runway is configured.
import type { BrollProvider } from '@acog/api';
import { ProviderConfigError } from '../types.ts';
import { createMotionGraphicsBroll, type MotionGraphicsOptions } from './motion-graphics.ts';
import { createPexelsBroll, type PexelsOptions } from './pexels.ts';
import { createRunwayBroll, type RunwayOptions } from './runway.ts';
import type { BrollSource } from './types.ts';

/** Options of every B-roll provider in one object; each reads its own. */
export type BrollOptions = MotionGraphicsOptions & PexelsOptions & RunwayOptions;

export function createBrollSource(spec: BrollProvider | undefined, options: BrollOptions = {}): BrollSource {
  const provider = spec?.provider ?? 'motion-graphics';
  if (provider === 'motion-graphics') return createMotionGraphicsBroll(spec, options);
  if (provider === 'pexels') return createPexelsBroll(spec as BrollProvider, options);
  if (provider === 'runway') return createRunwayBroll(spec as BrollProvider, options);
  throw new ProviderConfigError(`unknown B-roll provider '${String(provider)}': choose motion-graphics, pexels or runway`);
}
