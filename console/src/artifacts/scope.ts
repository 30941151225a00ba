// Which artifact URIs the gateway serves for an Episode: those its status lists, and of those only
// the ones inside the episode's own prefix (<namespace>/<episode>/<uid>/, episodeKeyPrefix) in the
// bucket of the stage that wrote them, with a plain key. A status names URIs the operator copied
// from runners' results; this is the last check before bytes of another tenant would be served.
import { artifactScopeDecision, episodeKeyPrefix, stageBucket, type Episode, type EpisodeStatus, type StageName } from '@acog/api';

type FinalArtifact = keyof NonNullable<EpisodeStatus['artifacts']>;

/** The final artifacts by name, and the stage that writes each (operator: collectArtifacts). */
export const FINAL_ARTIFACT_STAGES: Readonly<Record<FinalArtifact, StageName>> = {
  video: 'assemble',
  thumbnail: 'assemble',
  captionsSrt: 'assemble',
  captionsVtt: 'assemble',
  metadata: 'metadata',
  script: 'refine',
};

export function isFinalArtifact(name: string): name is FinalArtifact {
  return Object.hasOwn(FINAL_ARTIFACT_STAGES, name);
}

/** Why the gateway will not serve `uri` as an artifact of `stage` of this episode, or undefined when it will. */
export function unservable(episode: Episode, stage: StageName, uri: string): string | undefined {
  const namespace = episode.metadata.namespace ?? '';
  const name = episode.metadata.name ?? '';
  const uid = episode.metadata.uid ?? '';
  if (!namespace || !name || !uid) return 'the episode has no namespace, name or uid';
  const decision = artifactScopeDecision({ namespace, episode: { name, uid }, local: false }, 'artifact', 'artifact', uri);
  if (!decision.allowed) return decision.reason;
  const bucket = stageBucket(stage);
  const prefix = `s3://${bucket}/${episodeKeyPrefix({ namespace, episode: name, uid })}`;
  if (!uri.startsWith(prefix)) return `artifact: ${uri} is not in the ${stage} stage's bucket under ${prefix}`;
  return undefined;
}
