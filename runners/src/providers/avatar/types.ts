import type { AvatarDrawing, Narration } from '../../contract/documents.ts';
import type { Produced, ProviderContext } from '../types.ts';

export interface AvatarVideo {
  /** The presenter video's file name in ctx.workdir (MP4, as long as the narration). */
  file: string;
  width: number;
  height: number;
}

/** A presenter the assembly draws (the offline audiogram); the stills it names are in ctx.workdir. */
export interface AvatarDrawn {
  drawing: AvatarDrawing;
}

/** Makes the presenter for a narration whose audio file is at `audioPath`: a video, or a drawing. */
export interface Avatar {
  readonly name: string;
  render(ctx: ProviderContext, narration: Narration, audioPath: string): Promise<Produced<AvatarVideo | AvatarDrawn>>;
}
