// The example Channel and Episode as the runners receive them.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { stageInputHashes, validateChannel, validateEpisode, type Channel, type Episode, type StageInput, type StageName } from '@acog/api';
import { repoRoot } from '@acog/hack/paths';
import { S3ArtifactStore } from '@acog/store/s3';
import { localEnv, uniqueName } from './env.ts';

/** The examples, validated with defaults applied, under a fresh name and uid. */
export function exampleEpisode(edit?: (channel: Channel, episode: Episode) => void): { channel: Channel; episode: Episode; uid: string } {
  const channel = validateChannel(parse(readFileSync(join(repoRoot, 'examples', 'channel.yaml'), 'utf8'))).value;
  const episode = validateEpisode(parse(readFileSync(join(repoRoot, 'examples', 'episode.yaml'), 'utf8'))).value;
  episode.metadata.name = uniqueName('ep');
  episode.metadata.namespace = 'team-a';
  edit?.(channel, episode);
  return { channel, episode, uid: randomUUID() };
}

export function stageInput(
  { channel, episode, uid }: ReturnType<typeof exampleEpisode>,
  stage: StageName,
  upstream: StageInput['upstream'] = {},
  attempt = 1,
): StageInput {
  return {
    stage,
    attempt,
    inputHash: stageInputHashes(channel.spec, episode.spec)[stage]!,
    episode: { namespace: episode.metadata.namespace!, name: episode.metadata.name!, uid, spec: episode.spec },
    channel: { name: channel.metadata.name!, spec: channel.spec },
    upstream,
  };
}

/** An S3 artifact store on the local control plane's MinIO. */
export function s3Store(): S3ArtifactStore {
  const { s3 } = localEnv();
  return new S3ArtifactStore({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}
