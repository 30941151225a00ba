import type { Metadata, Publication } from '../../contract/documents.ts';
import type { Produced, ProviderContext } from '../types.ts';

export interface PublishFiles {
  video: string;
  thumbnail: string;
  captionsSrt: string;
  captionsVtt: string;
}

export interface PublishRequest {
  files: PublishFiles;
  metadata: Metadata;
  /** Chapter start times in seconds, one per metadata chapter, from the narration. */
  chapterStarts: number[];
  /** Credits the B-roll providers require, for the description. */
  attributions: string[];
}

/**
 * Publishes the finished video. Must never publish twice for one episode: it keeps what it has
 * done in ctx.state and finds it again on a repeated attempt.
 */
export interface Publisher {
  readonly name: string;
  publish(ctx: ProviderContext, request: PublishRequest): Promise<Produced<Publication>>;
}
