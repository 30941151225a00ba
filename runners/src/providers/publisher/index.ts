// The publisher a Channel (or an Episode's override) names; the folder publisher when none is named.
import type { PublisherProvider } from '@acog/api';
import { ProviderConfigError } from '../types.ts';
import { createFolderPublisher, type FolderPublisherOptions } from './folder.ts';
import type { Publisher } from './types.ts';
import { createYouTubePublisher, type YouTubePublisherOptions } from './youtube/index.ts';

export interface PublisherOptions extends FolderPublisherOptions {
  youtube?: YouTubePublisherOptions;
}

export function createPublisher(spec: PublisherProvider | undefined, options: PublisherOptions): Publisher {
  if (spec?.provider === 'youtube') return createYouTubePublisher(spec, options.youtube);
  if (!spec || spec.provider === 'folder') return createFolderPublisher(spec, options);
  throw new ProviderConfigError(`unknown publisher provider ${String((spec as { provider: unknown }).provider)}: choose folder or youtube`);
}

export type { PublishFiles, PublishRequest, Publisher } from './types.ts';
export type { FolderPublisherOptions } from './folder.ts';
export type { YouTubePublisherOptions } from './youtube/index.ts';
