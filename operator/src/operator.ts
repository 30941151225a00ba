// Wires the operator together: informers for Episodes, Channels and Jobs (cluster-wide, or one per
// watched namespace behind one view) feed three work queues (episodes, channels, schedules);
// reconcilers act when this replica holds the lease; the NATS consumer feeds completion hints; an
// HTTP server answers /metrics, /healthz and /readyz.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  CHANNELS,
  EPISODES,
  GROUP,
  JOB_EPISODE_INDEX,
  LABELS,
  ORIGIN_LABEL,
  SCHEDULE_ORIGIN,
  VERSION,
  jobEpisodeIndex,
  type Channel,
  type Episode,
  type StageName,
} from '@acog/api';
import {
  createKubeClients,
  customObjectSource,
  findCondition,
  Informer,
  jobState,
  KubeEventRecorder,
  LeaderElector,
  objectKey,
  slimJob,
  WorkQueue,
  type InformerHandler,
  type InformerOptions,
  type Job,
  type KubeObject,
  type LeaderElectionOptions,
  type Logger,
  type RequestVerb,
} from '@acog/kube';
import type { Database } from '@acog/db';
import type { ArtifactStore } from '@acog/store';
import { Archiver } from './archive/archiver.ts';
import { isFinished } from './archive/policy.ts';
import { LedgerConnection } from './budget/connection.ts';
import { ChannelReconciler, CHANNEL_INDEX, episodeChannelIndex } from './channel/reconciler.ts';
import { CompletionHints } from './completions/hints.ts';
import { CompletionConsumer } from './completions/nats.ts';
import type { RunnerConfig } from './config/runner-config.ts';
import { StageAdmission } from './episode/admission.ts';
import { episodeProgress, type EpisodeOrder } from './episode/progress.ts';
import { EpisodeReconciler, isRecorded, StatusConflict } from './episode/reconciler.ts';
import { OperatorMetrics } from './observability/metrics.ts';
import { systemClock, type Clock } from './schedule/clock.ts';
import { ScheduleConflict, ScheduleReconciler } from './schedule/scheduler.ts';
import { firstTopic, scheduleTopics } from './schedule/topics.ts';
import { PulseMatcher } from './pulse/matcher.ts';

/** How long a change of an Episode's phase may wait before its Channel's counts are written. */
const CHANNEL_COUNTS_DELAY_MS = 1_000;

/** The Lease and its timings; what to do on winning or losing it is the operator's. */
export type LeaderElectionSettings = Omit<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading' | 'onNewLeader' | 'log'>;

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /**
   * Watch only these namespaces (one Informer per kind in each: the chart's Roles cover no more);
   * every namespace when absent. An empty list is refused.
   */
  namespaces?: string[];
  runner: RunnerConfig;
  natsUrl: string;
  store: ArtifactStore;
  /** Where /metrics, /healthz and /readyz listen; no server when absent. */
  http?: { host: string; port: number };
  /** Off: this replica reconciles at once (one replica only). */
  leaderElection?: LeaderElectionSettings;
  workers: number;
  /**
   * Which waiting Episode a worker takes first: `progress` (default), the one with the most stages
   * started, so that in a burst Episodes finish one after another; `arrival`, first come first
   * served, so that all advance together and finish near the end (ADR 0020).
   */
  episodeOrder?: EpisodeOrder;
  /**
   * Stage Jobs running at once per namespace (ADR 0030): an Episode whose next stage is ready waits
   * while its namespace has this many, and the one furthest along goes first when one finishes.
   * 0 or absent: no cap.
   */
  stageSlots?: number;
  resyncMs: number;
  log: Logger;
  /**
   * The archive of finished Episodes, in `database`: each is written before Channel.spec.archive's
   * TTL may delete it; rows past retentionDays are collected every `retentionIntervalMs` (default
   * 1 h). Without a database nothing is archived and no Episode is deleted by a TTL.
   */
  archive?: { retentionIntervalMs?: number };
  /** Pulse matching (needs `database`): how often new events are looked for, in ms (default 1000). */
  pulse?: { pollMs?: number };
  /** Called when the lease is lost: the process should exit, as client-go's operators do. */
  onLostLeadership?: () => void;
  /** Counts every API request (the benchmark reads it). */
  onRequest?: (verb: RequestVerb | 'list' | 'watch', resource: string) => void;
  /** The time Channel schedules run on; the system's when absent. */
  clock?: Clock;
  /**
   * PostgreSQL: the operator migrates it (under an advisory lock, retrying while it cannot be
   * reached), records every finished attempt in the cost ledger and gates paid stages by the
   * Channels' budgets. The caller opens and closes it. Without it there is neither ledger nor budget.
   */
  database?: Database;
  /** The clock of budgets (tests move it to a month's end); the schedules' `clock` when absent. */
  now?: () => Date;
}

export interface Operator {
  metrics: OperatorMetrics;
  /** Resolves once the database is migrated (at once without a database). */
  databaseReady(): Promise<void>;
  httpAddress?: AddressInfo;
  isLeader(): boolean;
  isReady(): boolean;
  /** Resolves when the queues are empty and no worker is busy. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOperator(options: OperatorOptions): Promise<Operator> {
  const { log } = options;
  const metrics = new OperatorMetrics();
  const countRequest = (verb: RequestVerb | 'list' | 'watch', resource: string) => {
    metrics.apiRequests.inc({ verb, resource });
    options.onRequest?.(verb, resource);
  };
  const clients = createKubeClients(options.kubeConfig, countRequest);
  const identity = options.leaderElection?.identity ?? `acog-operator-${process.pid}`;
  const events = new KubeEventRecorder(clients.core, identity, log);
  const namespaces = options.namespaces;

  const informerErrors = (name: string) => (error: unknown, attempt: number, delayMs: number) =>
    log.warn({ informer: name, attempt, delayMs, error: (error as Error).message }, 'watch failed; trying again');
  const onInformerRequest = (resource: string) => (verb: 'list' | 'watch') => countRequest(verb, resource);
  const informer = <T extends KubeObject>(
    group: string,
    version: string,
    plural: string,
    settings: Pick<InformerOptions<T>, 'labelSelector' | 'resyncMs' | 'transform'> = {},
  ) =>
    watchedInformer<T>(options.kubeConfig, namespaces, (namespace) => ({
      name: plural,
      ...customObjectSource<T>(clients.custom, { group, version, plural, namespace, labelSelector: settings.labelSelector }),
      ...settings,
      onError: informerErrors(namespace ? `${plural} in ${namespace}` : plural),
      onRequest: onInformerRequest(plural),
    }));

  const episodes = informer<Episode>(GROUP, VERSION, EPISODES.plural, { resyncMs: options.resyncMs });
  const channels = informer<Channel>(GROUP, VERSION, CHANNELS.plural, { resyncMs: options.resyncMs });
  // Only the Jobs the operator made: a label selector keeps the watch and the cache small.
  const jobs = informer<Job>('batch', 'v1', 'jobs', { labelSelector: `${LABELS.stage},${LABELS.episode}`, transform: slimJob });
  episodes.addIndex(CHANNEL_INDEX, episodeChannelIndex);
  episodes.addIndex('uid', (episode) => [`${episode.metadata.namespace}/${episode.metadata.uid}`]);
  jobs.addIndex(JOB_EPISODE_INDEX, jobEpisodeIndex);

  const queueMetrics = (controller: string) => ({
    onDepth: (depth: number) => metrics.queueDepth.set({ controller }, depth),
    onProcessed: ({ waitMs, durationMs, error }: { waitMs: number; durationMs: number; error?: unknown }) => {
      metrics.queueLatency.observe({ controller }, waitMs / 1000);
      metrics.reconcileDuration.observe({ controller }, durationMs / 1000);
      metrics.reconciles.inc({ controller, result: error ? 'error' : 'success' });
      if (error && !(error instanceof StatusConflict || error instanceof ScheduleConflict)) metrics.reconcileErrors.inc({ controller });
    },
  });
  // Work already started goes first (ADR 0020): in a burst, Episodes finish one after another
  // instead of all near the end; de-duplication and one worker per key are the queue's as before.
  const episodeQueue = new WorkQueue({
    name: 'episodes',
    workers: options.workers,
    baseDelayMs: 100,
    priority: options.episodeOrder === 'arrival' ? undefined : (key) => episodeProgress(episodes.get(key)?.status),
    ...queueMetrics('episode'),
  });
  const channelQueue = new WorkQueue({
    name: 'channels',
    workers: Math.max(1, Math.ceil(options.workers / 4)),
    ...queueMetrics('channel'),
  });
  const scheduleQueue = new WorkQueue({ name: 'schedules', workers: 1, ...queueMetrics('schedule') });
  const hints = new CompletionHints();
  const clock = options.clock ?? systemClock;
  const now = options.now ?? (() => clock.now());
  const archiveQueue = new WorkQueue({ name: 'archive', workers: 2, baseDelayMs: 500, maxDelayMs: 60_000, ...queueMetrics('archive') });
  const ledger = options.database ? new LedgerConnection(options.database, log.child({ component: 'ledger' })) : undefined;
  const admission = new StageAdmission({ slots: options.stageSlots ?? 0, wake: (key) => episodeQueue.add(key) });

  const episodeReconciler = new EpisodeReconciler({
    clients,
    episodes,
    channels,
    jobs,
    store: options.store,
    runner: options.runner,
    hints,
    events,
    metrics,
    log,
    requeueAfter: (key, delayMs) => episodeQueue.addAfter(key, delayMs),
    now,
    ledger,
    onSpendChanged: (channelKey) => channelQueue.add(channelKey),
    admission: admission.enabled ? admission : undefined,
  });
  const channelReconciler = new ChannelReconciler({
    clients,
    channels,
    episodes,
    events,
    log,
    requeueAfter: (key, delayMs) => channelQueue.addAfter(key, delayMs),
    now,
    ledger,
    onBudgetFreed: (channelKey) => episodeReconciler.spendChanged(channelKey),
  });

  const pulseMatcher = ledger
    ? new PulseMatcher({
        clients,
        channels,
        episodes,
        channelIndex: CHANNEL_INDEX,
        pool: options.database!.pool,
        isMigrated: () => ledger.isMigrated(),
        events,
        log: log.child({ component: 'pulse' }),
        clock,
        pollMs: options.pulse?.pollMs,
        onDecided: (outcome, reason) => metrics.pulseDecisions.inc({ outcome, reason }),
      })
    : undefined;
  const scheduleReconciler = new ScheduleReconciler({
    clients,
    channels,
    episodes,
    channelIndex: CHANNEL_INDEX,
    events,
    log,
    clock,
    // When the schedule's own topics run out: the best pulse proposal its daily limit held back.
    topics: pulseMatcher ? firstTopic(scheduleTopics, pulseMatcher.topics) : scheduleTopics,
    requeueAfter: (key, delayMs) => scheduleQueue.addAfter(key, delayMs),
  });
  const stopClockWatch = clock.onJump(() => {
    for (const channel of channels.list((c) => c.spec.schedule !== undefined)) scheduleQueue.add(objectKey(channel));
  });
  const archiver = ledger
    ? new Archiver({
        db: options.database!.pool,
        isMigrated: () => ledger.isMigrated(),
        clients,
        episodes,
        channels,
        metrics,
        log,
        requeueAfter: (key, delayMs) => archiveQueue.addAfter(key, delayMs),
      })
    : undefined;

  episodes.on((event, episode, previous) => {
    const key = objectKey(episode);
    if (archiver && event !== 'delete' && archiver.wants(episode)) archiveQueue.add(key);
    // A status the operator itself wrote asks for nothing more: what comes next is started by a Job,
    // an event or a timer. Everything else (spec, annotations, deletion, resync) is looked at.
    if (!(event === 'update' && previous && previous !== episode && onlyStatusChanged(previous, episode))) episodeQueue.add(key);
    if (event !== 'update' || previous?.status?.phase !== episode.status?.phase) {
      // The Channel's episode counts: changes within a second are written together (in a burst,
      // one Channel status write a second instead of one per Episode that starts or ends).
      channelQueue.addAfter(episodeChannelIndex(episode)[0], CHANNEL_COUNTS_DELAY_MS);
      // A scheduled Episode that finishes may let a slot that Forbid held start.
      if (episode.metadata.labels?.[ORIGIN_LABEL] === SCHEDULE_ORIGIN) scheduleQueue.add(episodeChannelIndex(episode)[0]);
    }
  });
  channels.on((event, channel, previous) => {
    const key = objectKey(channel);
    if (!(event === 'update' && previous && previous !== channel && onlyStatusChanged(previous, channel))) {
      channelQueue.add(key);
      if (channel.spec.schedule || channel.status?.schedule) scheduleQueue.add(key);
      if (channel.spec.pulse?.enabled) pulseMatcher?.wake();
    }
    const readyBefore = findCondition(previous?.status?.conditions, 'Ready');
    const readyNow = findCondition(channel.status?.conditions, 'Ready');
    const changed =
      event !== 'update' ||
      previous?.metadata?.generation !== channel.metadata?.generation ||
      readyBefore?.status !== readyNow?.status ||
      readyBefore?.observedGeneration !== readyNow?.observedGeneration;
    if (changed) for (const episode of episodes.byIndex(CHANNEL_INDEX, key)) episodeQueue.add(objectKey(episode));
    // A new or changed archive TTL applies to the Channel's finished Episodes at once.
    const ttlChanged = previous?.spec?.archive?.ttlSecondsAfterFinished !== channel.spec?.archive?.ttlSecondsAfterFinished;
    if (archiver && (event === 'add' || ttlChanged))
      for (const episode of episodes.byIndex(CHANNEL_INDEX, key)) if (isFinished(episode)) archiveQueue.add(objectKey(episode));
  });
  // A Job matters when it finishes or goes; its creation is the operator's own doing, and its
  // finish is news only while the status does not record that attempt as done (the NATS event
  // usually got there first).
  // Each Job also holds a stage slot of its namespace (ADR 0030) while it runs and its attempt's end
  // is not recorded; one that finishes or goes gives it back, and the Episode first in line is woken.
  jobs.on((event, job) => {
    const state = jobState(job);
    const stage = job.metadata.labels?.[LABELS.stage] as StageName | undefined;
    const attempt = Number(job.metadata.labels?.[LABELS.attempt]);
    const owners = jobEpisodeIndex(job).flatMap((owner) => episodes.byIndex('uid', owner));
    const recorded = (episode: Episode) => !!stage && Number.isInteger(attempt) && isRecorded(episode.status ?? {}, { stage, attempt });
    if (admission.enabled) {
      const namespace = job.metadata.namespace!;
      if (event !== 'delete' && state === 'Active' && !owners.some(recorded)) admission.running(namespace, job.metadata.name!);
      else admission.release(namespace, job.metadata.name!);
    }
    if (event !== 'delete' && state === 'Active') return;
    for (const episode of owners) if (!(event === 'update' && recorded(episode))) episodeQueue.add(objectKey(episode));
  });

  const consumer = new CompletionConsumer({
    url: options.natsUrl,
    log: (level, message, fields) => log[level](fields ?? {}, message),
    onMessage: (message) => {
      const { event } = message;
      metrics.completionEvents.inc({ outcome: event.outcome });
      const key = `${event.namespace}/${event.episode}`;
      const episode = episodes.get(key);
      if (!episode || episode.metadata.uid !== event.uid || isRecorded(episode.status ?? {}, event)) {
        // An event of an Episode that is gone (or was recreated), or of an attempt whose end the
        // status records already (the Job's finish got there first): nothing to record.
        message.ack();
        return;
      }
      hints.add(key, message);
      episodeReconciler.eventReceived(key);
      episodeReconciler.prefetch(episode, event);
      episodeQueue.add(key);
    },
  });

  const reconcileWith =
    (controller: string, reconcile: (key: string) => Promise<void>, queue: WorkQueue) =>
    async (key: string): Promise<void> => {
      try {
        await reconcile(key);
        queue.forget(key);
      } catch (error) {
        const [namespace, name] = key.split('/');
        if (error instanceof StatusConflict || error instanceof ScheduleConflict) log.debug({ controller, namespace, name }, error.message);
        else
          log.warn(
            { controller, namespace, name, error: (error as Error).message, failures: queue.failureCount(key) + 1 },
            'reconcile failed; trying again with backoff',
          );
        throw error;
      }
    };

  let collector: NodeJS.Timeout | undefined;
  const collect = () => {
    archiver?.collect().catch((error: Error) => log.warn({ error: error.message }, 'archive collection failed'));
  };

  let leading = false;
  const startLeading = () => {
    leading = true;
    metrics.leader.set(1);
    consumer.start();
    if (archiver) {
      archiveQueue.start(reconcileWith('archive', (key) => archiver.reconcile(key), archiveQueue));
      collect();
      collector = setInterval(collect, options.archive?.retentionIntervalMs ?? 3_600_000);
      collector.unref();
    }
    episodeQueue.start(reconcileWith('episode', (key) => episodeReconciler.reconcile(key), episodeQueue));
    channelQueue.start(reconcileWith('channel', (key) => channelReconciler.reconcile(key), channelQueue));
    scheduleQueue.start(reconcileWith('schedule', (key) => scheduleReconciler.reconcile(key), scheduleQueue));
    pulseMatcher?.start();
  };

  for (const informer of [episodes, channels, jobs]) informer.start();
  await Promise.all([episodes.waitForSync(), channels.waitForSync(), jobs.waitForSync()]);
  log.info({ episodes: episodes.size, channels: channels.size, jobs: jobs.size, namespaces: namespaces ?? '(all)' }, 'caches synced');

  let elector: LeaderElector | undefined;
  if (options.leaderElection) {
    const settings = options.leaderElection;
    elector = new LeaderElector(clients.custom, {
      ...settings,
      onStartedLeading: startLeading,
      onStoppedLeading: () => {
        leading = false;
        metrics.leader.set(0);
        void episodeQueue.shutDown();
        void channelQueue.shutDown();
        void scheduleQueue.shutDown();
        void archiveQueue.shutDown();
        void pulseMatcher?.stop();
        clearInterval(collector);
        void consumer.stop();
        options.onLostLeadership?.();
      },
      onNewLeader: (holder) => log.info({ leader: holder }, 'another replica leads; standing by'),
      log: (message, fields) => log.info(fields ?? {}, message),
    });
    elector.start();
  } else startLeading();

  let server: Server | undefined;
  let httpAddress: AddressInfo | undefined;
  const ready = () => episodes.hasSynced() && channels.hasSynced() && jobs.hasSynced();
  if (options.http) {
    server = createServer((request, response) => {
      const url = request.url?.split('?')[0];
      if (url === '/metrics') {
        metrics.registry
          .metrics()
          .then((text) => response.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text))
          .catch((error: Error) => response.writeHead(500).end(error.message));
      } else if (url === '/healthz') {
        response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
      } else if (url === '/readyz') {
        const ok = ready();
        response
          .writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' })
          .end(ok ? `ok (${leading ? 'leader' : 'standby'})\n` : 'caches not synced\n');
      } else response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(options.http!.port, options.http!.host, resolve);
    });
    httpAddress = server.address() as AddressInfo;
    log.info({ address: `${httpAddress.address}:${httpAddress.port}` }, 'serving /metrics, /healthz and /readyz');
  }

  return {
    metrics,
    databaseReady: () => ledger?.ready() ?? Promise.resolve(),
    httpAddress,
    isLeader: () => leading,
    isReady: ready,
    idle: async () => {
      await Promise.all([episodeQueue.idle(), channelQueue.idle(), scheduleQueue.idle()]);
      await Promise.all([episodeQueue.idle(), channelQueue.idle(), archiveQueue.idle()]);
    },
    async stop() {
      for (const informer of [episodes, channels, jobs]) informer.stop();
      await elector?.stop();
      stopClockWatch();
      await pulseMatcher?.stop();
      await Promise.all([episodeQueue.shutDown(), channelQueue.shutDown(), scheduleQueue.shutDown()]);
      clearInterval(collector);
      await Promise.all([episodeQueue.shutDown(), channelQueue.shutDown(), archiveQueue.shutDown()]);
      await consumer.stop();
      await ledger?.stop();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}

/** Whether two versions of an object differ only in status (and the server's bookkeeping). */
export function onlyStatusChanged(before: KubeObject & { spec?: unknown }, after: KubeObject & { spec?: unknown }): boolean {
  const a = before.metadata ?? {};
  const b = after.metadata ?? {};
  return (
    a.generation === b.generation &&
    isDeepStrictEqual(a.annotations ?? {}, b.annotations ?? {}) &&
    isDeepStrictEqual(a.labels ?? {}, b.labels ?? {}) &&
    isDeepStrictEqual(a.finalizers ?? [], b.finalizers ?? []) &&
    a.deletionTimestamp === b.deletionTimestamp
  );
}

/**
 * The Informer of one kind over the watched namespaces: cluster-wide when `namespaces` is absent,
 * else one Informer per namespace (each lists and watches its own namespace, which is all that a
 * Role there allows), behind one view when there are several.
 */
export function watchedInformer<T extends KubeObject>(
  kubeConfig: KubeConfig,
  namespaces: string[] | undefined,
  options: (namespace: string | undefined) => InformerOptions<T>,
): Informer<T> {
  if (!namespaces) return new Informer<T>(kubeConfig, options(undefined));
  if (!namespaces.length) throw new Error('no namespace to watch: name one or more, or none for every namespace');
  const informers = new Map(namespaces.map((namespace) => [namespace, new Informer<T>(kubeConfig, options(namespace))]));
  return informers.size === 1 ? [...informers.values()][0] : new MultiNamespaceInformer(kubeConfig, informers);
}

/**
 * One view of several namespaces' Informers of the same kind, for the reconcilers, which read a
 * cache as one Informer (get, list, byIndex, upsert): a key or an object goes to its namespace's
 * Informer; a list or an index lookup merges them all; handlers and indexes are added to each.
 * It extends Informer only to be one for the reconcilers' types: it overrides every public member
 * (a test holds it to that), and its own list and watch never run.
 */
export class MultiNamespaceInformer<T extends KubeObject> extends Informer<T> {
  private readonly members: Map<string, Informer<T>>;

  constructor(kubeConfig: KubeConfig, members: Map<string, Informer<T>>) {
    const [first] = members.values();
    super(kubeConfig, {
      name: first.name,
      path: '',
      list: () => Promise.reject(new Error('a MultiNamespaceInformer never lists: its members do')),
    });
    this.members = members;
  }

  override get name(): string {
    return [...this.members.values()][0].name;
  }

  /** The watched namespaces. */
  get namespaces(): string[] {
    return [...this.members.keys()];
  }

  override on(handler: InformerHandler<T>): void {
    for (const member of this.members.values()) member.on(handler);
  }

  override get(key: string): T | undefined {
    return this.members.get(key.split('/')[0])?.get(key);
  }

  /** Our own write, recorded in its namespace's cache; an object of another namespace has none. */
  override upsert(object: T): void {
    this.members.get(object.metadata?.namespace ?? '')?.upsert(object);
  }

  override addIndex(name: string, indexer: (object: T) => string[]): void {
    for (const member of this.members.values()) member.addIndex(name, indexer);
  }

  override byIndex(name: string, value: string): T[] {
    return [...this.members.values()].flatMap((member) => member.byIndex(name, value));
  }

  override list(filter?: (object: T) => boolean): T[] {
    return [...this.members.values()].flatMap((member) => member.list(filter));
  }

  override get size(): number {
    return [...this.members.values()].reduce((sum, member) => sum + member.size, 0);
  }

  override hasSynced(): boolean {
    return [...this.members.values()].every((member) => member.hasSynced());
  }

  override sinceLastContactMs(): number {
    return Math.max(...[...this.members.values()].map((member) => member.sinceLastContactMs()));
  }

  override async waitForSync(): Promise<void> {
    await Promise.all([...this.members.values()].map((member) => member.waitForSync()));
  }

  override start(): void {
    for (const member of this.members.values()) member.start();
  }

  override stop(): void {
    for (const member of this.members.values()) member.stop();
  }
}
