import type { Narration } from '../../contract/documents.ts';
import type { Produced, ProviderContext } from '../types.ts';

export interface AvatarVideo {
  /** The presenter video's file name in ctx.workdir (MP4, as long as the narration). */
  file: string;
  width: number;
  height: number;
}

/** Makes the presenter video for a narration whose audio file is at `audioPath`. */
export interface Avatar {
  readonly name: string;
  render(ctx: ProviderContext, narration: Narration, audioPath: string): Promise<Produced<AvatarVideo>>;
}
