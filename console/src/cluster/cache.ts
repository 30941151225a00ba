// One watch per kind for every user: Channels, Episodes, the operator's Jobs and the Events about
// ACOG objects, through the operator's Informer. Views are kept beside the objects so that a list
// of 10 000 Episodes costs a filter and a sort, and every change goes to the ChangeLog that the
// event stream serves.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import {
  CHANNELS,
  EPISODES,
  GROUP,
  JOB_EPISODE_INDEX,
  LABELS,
  VERSION,
  episodeUidKey,
  jobEpisodeIndex,
  type Channel,
  type Episode,
} from '@acog/api';
import { customObjectSource, Informer, objectKey, slimJob, type InformerEvent, type Job } from '@acog/kube';
import { ChangeLog, type ChangeKind } from './changes.ts';
import { channelSummary, episodeSummary, eventView, type ChannelSummary, type EpisodeSummary, type KubeEvent } from './views.ts';

const REGARDING_INDEX = 'regarding';
const CHANNEL_INDEX = 'channel';

export interface ClusterCacheOptions {
  kubeConfig: KubeConfig;
  changeLogCapacity?: number;
  onError?: (informer: string, error: unknown) => void;
  onRequest?: (informer: string, verb: 'list' | 'watch') => void;
}

/** What the Event cache keeps: who it is about, what happened, when. */
export function slimEvent(event: KubeEvent): KubeEvent {
  const {
    metadata,
    regarding,
    note,
    reason,
    type,
    eventTime,
    deprecatedFirstTimestamp,
    deprecatedLastTimestamp,
    deprecatedCount,
    series,
    reportingController,
  } = event;
  return {
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      resourceVersion: metadata.resourceVersion,
      creationTimestamp: metadata.creationTimestamp,
    },
    regarding: regarding && { kind: regarding.kind, name: regarding.name, namespace: regarding.namespace, uid: regarding.uid },
    note,
    reason,
    type,
    eventTime,
    deprecatedFirstTimestamp,
    deprecatedLastTimestamp,
    deprecatedCount,
    series,
    reportingController,
  };
}

const ACOG_KINDS = new Set<string>([CHANNELS.kind, EPISODES.kind]);

export class ClusterCache {
  readonly episodes: Informer<Episode>;
  readonly channels: Informer<Channel>;
  readonly jobs: Informer<Job>;
  readonly events: Informer<KubeEvent & { metadata: KubeEvent['metadata'] }>;
  readonly changes: ChangeLog;
  private readonly episodeViews = new Map<string, EpisodeSummary>();
  private readonly channelViews = new Map<string, ChannelSummary>();

  constructor(options: ClusterCacheOptions) {
    const custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
    const source = <T>(group: string, version: string, plural: string, labelSelector?: string) =>
      customObjectSource<T>(custom, { group, version, plural, labelSelector });
    const common = (name: string) => ({
      name,
      onError: (error: unknown) => options.onError?.(name, error),
      onRequest: (verb: 'list' | 'watch') => options.onRequest?.(name, verb),
    });
    this.changes = new ChangeLog({ capacity: options.changeLogCapacity });
    this.episodes = new Informer<Episode>(options.kubeConfig, {
      ...common(EPISODES.plural),
      ...source<Episode>(GROUP, VERSION, EPISODES.plural),
    });
    this.channels = new Informer<Channel>(options.kubeConfig, {
      ...common(CHANNELS.plural),
      ...source<Channel>(GROUP, VERSION, CHANNELS.plural),
    });
    const jobSelector = `${LABELS.stage},${LABELS.episode}`;
    this.jobs = new Informer<Job>(options.kubeConfig, {
      ...common('jobs'),
      ...source<Job>('batch', 'v1', 'jobs', jobSelector),
      transform: slimJob,
    });
    this.events = new Informer<KubeEvent>(options.kubeConfig, {
      ...common('events'),
      ...source<KubeEvent>('events.k8s.io', 'v1', 'events'),
      transform: slimEvent,
    });
    this.jobs.addIndex(JOB_EPISODE_INDEX, jobEpisodeIndex);
    this.events.addIndex(REGARDING_INDEX, (event) =>
      event.regarding?.kind && ACOG_KINDS.has(event.regarding.kind)
        ? [`${event.regarding.kind}/${event.metadata.namespace}/${event.regarding.name}`]
        : [],
    );
    this.episodes.addIndex(CHANNEL_INDEX, (episode) => [`${episode.metadata.namespace}/${episode.spec.channelRef.name}`]);

    this.episodes.on((type, episode) => this.onObject('Episode', type, episode, this.episodeViews, episodeSummary));
    this.channels.on((type, channel) => this.onObject('Channel', type, channel, this.channelViews, channelSummary));
    this.events.on((type, event) => {
      if (type === 'delete' || !event.regarding?.kind || !ACOG_KINDS.has(event.regarding.kind)) return;
      this.changes.append({
        kind: 'Event',
        type,
        namespace: event.metadata.namespace ?? '',
        name: event.metadata.name,
        data: eventView(event),
      });
    });
  }

  private onObject<T extends Episode | Channel, V>(
    kind: ChangeKind,
    type: InformerEvent,
    object: T,
    views: Map<string, V>,
    view: (object: T) => V,
  ): void {
    const key = objectKey(object);
    if (type === 'delete') views.delete(key);
    else views.set(key, view(object));
    const data = type === 'delete' ? { namespace: object.metadata.namespace, name: object.metadata.name } : views.get(key);
    this.changes.append({ kind, type, namespace: object.metadata.namespace ?? '', name: object.metadata.name ?? '', data });
  }

  start(): void {
    for (const informer of this.informers()) informer.start();
  }

  stop(): void {
    for (const informer of this.informers()) informer.stop();
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.informers().map((informer) => informer.waitForSync()));
  }

  hasSynced(): boolean {
    return this.informers().every((informer) => informer.hasSynced());
  }

  informers(): Informer<Episode | Channel | Job | KubeEvent>[] {
    return [this.episodes, this.channels, this.jobs, this.events] as Informer<Episode | Channel | Job | KubeEvent>[];
  }

  episodeSummaries(): Iterable<EpisodeSummary> {
    return this.episodeViews.values();
  }

  channelSummaries(): Iterable<ChannelSummary> {
    return this.channelViews.values();
  }

  namespaces(): Set<string> {
    const namespaces = new Set<string>();
    for (const view of this.episodeViews.values()) namespaces.add(view.namespace);
    for (const view of this.channelViews.values()) namespaces.add(view.namespace);
    return namespaces;
  }

  episode(namespace: string, name: string): Episode | undefined {
    return this.episodes.get(`${namespace}/${name}`);
  }

  channel(namespace: string, name: string): Channel | undefined {
    return this.channels.get(`${namespace}/${name}`);
  }

  jobsOf(episode: Episode): Job[] {
    return this.jobs.byIndex(JOB_EPISODE_INDEX, episodeUidKey(episode));
  }

  eventsOf(kind: 'Episode' | 'Channel', namespace: string, name: string): KubeEvent[] {
    return this.events.byIndex(REGARDING_INDEX, `${kind}/${namespace}/${name}`);
  }

  episodesOfChannel(namespace: string, channel: string): Episode[] {
    return this.episodes.byIndex(CHANNEL_INDEX, `${namespace}/${channel}`);
  }

  /** Records what a write of ours returned, so the next read sees it at once. */
  upsertEpisode(episode: Episode): void {
    this.episodes.upsert(episode);
    const key = objectKey(episode);
    const stored = this.episodes.get(key);
    if (stored) this.episodeViews.set(key, episodeSummary(stored));
  }

  /** Records what a write of ours returned, so the next read sees it at once. */
  upsertChannel(channel: Channel): void {
    this.channels.upsert(channel);
    const key = objectKey(channel);
    const stored = this.channels.get(key);
    if (stored) this.channelViews.set(key, channelSummary(stored));
  }
}
