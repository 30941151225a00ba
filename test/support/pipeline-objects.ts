// Channels and Episodes for the operator's tests: the examples, made short so that the real
// runners finish quickly, with edits per test.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, VERSION, type Channel, type Episode } from '@acog/api';
import { kubeConfig } from './env.ts';
import { example } from './kube.ts';

export async function testChannel(name: string, edit?: (channel: Channel) => void): Promise<Channel> {
  const channel = await example<Channel>('channel.yaml');
  channel.metadata = { name };
  channel.spec.format.targetDurationSeconds = 20;
  channel.spec.format.intro = { durationSeconds: 0 };
  channel.spec.format.outro = { durationSeconds: 0 };
  channel.spec.approvalGates = [];
  channel.spec.retryPolicy = { maxAttempts: 2, backoffSeconds: 1, maxBackoffSeconds: 2 };
  delete channel.spec.schedule;
  delete channel.spec.pulse;
  edit?.(channel);
  return channel;
}

export async function testEpisode(name: string, channel: string, edit?: (episode: Episode) => void): Promise<Episode> {
  const episode = await example<Episode>('episode.yaml');
  episode.metadata = { name };
  episode.spec.channelRef = { name: channel };
  episode.spec.approvalGates = [];
  episode.spec.publish = { privacy: 'private' };
  episode.spec.keyPoints = episode.spec.keyPoints?.slice(0, 1);
  edit?.(episode);
  return episode;
}

export async function apply(namespace: string, object: Channel | Episode): Promise<Record<string, unknown>> {
  const plural = object.kind === 'Channel' ? 'channels' : 'episodes';
  return (await kubeConfig().makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural,
    body: object,
    fieldValidation: 'Strict',
  })) as Record<string, unknown>;
}

/** Merge-patches an Episode's spec or metadata as a user (kubectl) would. */
export async function patchEpisode(namespace: string, name: string, body: Record<string, unknown>): Promise<void> {
  const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
  await kubeConfig()
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, plural: 'episodes', namespace, name, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}
