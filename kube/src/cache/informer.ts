// An informer in the client-go sense: list, then watch from the list's resourceVersion; relist
// when the server says 410 Gone; reconnect with backoff; replay the cache on a resync period.
// Reconcilers read the cache, never the API server. Objects are slimmed by a transform before
// they are stored, so that 10 000 Episodes fit in little memory.
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { backoffDelay } from '../backoff/backoff.ts';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string; kind?: string; name?: string; controller?: boolean }[];
    finalizers?: string[];
    deletionTimestamp?: string | Date;
    creationTimestamp?: string | Date;
    managedFields?: unknown;
  };
}

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler<T> = (event: InformerEvent, object: T, previous?: T) => void;

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export interface InformerOptions<T extends KubeObject> {
  /** For logs and metrics, e.g. "episodes". */
  name: string;
  /** The watch path, e.g. /apis/acog.dev/v1alpha1/episodes or /apis/batch/v1/namespaces/x/jobs. */
  path: string;
  /** One page of the list (the request goes through the counted API clients). */
  list: (continueToken: string | undefined) => Promise<ListPage<T>>;
  labelSelector?: string;
  /** Replays every cached object as an update this often; 0 turns it off. */
  resyncMs?: number;
  /** What to keep of an object; defaults to dropping managedFields and last-applied-configuration. */
  transform?: (object: T) => T;
  onError?: (error: unknown, attempt: number, delayMs: number) => void;
  /** For tests: how a watch is opened. */
  watch?: Watch;
  /** Seconds the server keeps a watch open before we reopen it from the last resourceVersion. */
  watchTimeoutSeconds?: number;
  /** Called for each watch and list request, for the API request metric. */
  onRequest?: (verb: 'list' | 'watch') => void;
}

export function objectKey(object: KubeObject): string {
  const { namespace, name } = object.metadata ?? {};
  return namespace ? `${namespace}/${name}` : (name ?? '');
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** What the cache keeps by default: the object without the server's bookkeeping. */
export function slimObject<T extends KubeObject>(object: T): T {
  if (!object.metadata) return object;
  const { managedFields: _managedFields, ...metadata } = object.metadata;
  if (metadata.annotations?.[LAST_APPLIED]) {
    const { [LAST_APPLIED]: _lastApplied, ...annotations } = metadata.annotations;
    metadata.annotations = annotations;
  }
  return { ...object, metadata };
}

class GoneError extends Error {}

export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly options: InformerOptions<T>;
  private readonly watcher: Watch;
  private resourceVersion = '';
  private synced = false;
  private stopped = false;
  private abort?: AbortController;
  private resyncTimer?: NodeJS.Timeout;
  private syncWaiters: (() => void)[] = [];
  private failures = 0;
  private lastContact = Date.now();
  private readonly indexers = new Map<string, (object: T) => string[]>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(kubeConfig: KubeConfig, options: InformerOptions<T>) {
    this.options = options;
    this.watcher = options.watch ?? new Watch(kubeConfig);
  }

  get name(): string {
    return this.options.name;
  }

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  /**
   * Records what our own write returned, so that the next reconcile sees it even before the watch
   * brings it (the cache would otherwise lag our writes). An older version never replaces a newer.
   * Handlers hear of it as of any update; the watch's echo of it later is not repeated.
   */
  upsert(object: T): void {
    const key = objectKey(object);
    const old = this.cache.get(key);
    if (old && !isNewer(object.metadata?.resourceVersion, old.metadata?.resourceVersion)) return;
    const stored = this.store(object);
    this.put(key, stored, old);
    this.emit(old ? 'update' : 'add', stored, old);
  }

  /** Keeps objects findable by a derived value, e.g. Jobs by their episode; add before start(). */
  addIndex(name: string, indexer: (object: T) => string[]): void {
    this.indexers.set(name, indexer);
    this.indices.set(name, new Map());
  }

  byIndex(name: string, value: string): T[] {
    const keys = this.indices.get(name)?.get(value);
    return keys ? [...keys].map((key) => this.cache.get(key)!).filter(Boolean) : [];
  }

  private put(key: string, object: T | undefined, old: T | undefined): void {
    for (const [name, indexer] of this.indexers) {
      const index = this.indices.get(name)!;
      if (old)
        for (const value of indexer(old)) {
          index.get(value)?.delete(key);
          if (index.get(value)?.size === 0) index.delete(value);
        }
      if (object)
        for (const value of indexer(object)) {
          if (!index.has(value)) index.set(value, new Set());
          index.get(value)!.add(key);
        }
    }
    if (object) this.cache.set(key, object);
    else this.cache.delete(key);
  }

  list(filter?: (object: T) => boolean): T[] {
    const all = [...this.cache.values()];
    return filter ? all.filter(filter) : all;
  }

  get size(): number {
    return this.cache.size;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Milliseconds since the server last answered; a health check reads it. */
  sinceLastContactMs(): number {
    return Date.now() - this.lastContact;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    this.stopped = false;
    void this.run();
    if (this.options.resyncMs) {
      this.resyncTimer = setInterval(() => this.resync(), this.options.resyncMs);
      this.resyncTimer.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    clearInterval(this.resyncTimer);
  }

  private emit(event: InformerEvent, object: T, previous?: T): void {
    for (const handler of this.handlers) handler(event, object, previous);
  }

  private store(object: T): T {
    return (this.options.transform ?? slimObject)(object);
  }

  private resync(): void {
    if (!this.synced) return;
    for (const object of this.cache.values()) this.emit('update', object, object);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        await this.watchOnce();
        this.failures = 0;
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof GoneError) {
          // Our resourceVersion is older than etcd keeps: start again from a fresh list.
          this.resourceVersion = '';
          continue;
        }
        this.failures++;
        const delayMs = backoffDelay(this.failures, { baseDelayMs: 200, maxDelayMs: 30_000 });
        this.options.onError?.(error, this.failures, delayMs);
        await new Promise((resolve) => setTimeout(resolve, Math.max(delayMs, 50)));
      }
    }
  }

  private async relist(): Promise<void> {
    const seen = new Map<string, T>();
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      this.options.onRequest?.('list');
      const page = await this.options.list(continueToken);
      for (const item of page.items) seen.set(objectKey(item), this.store(item));
      resourceVersion = page.resourceVersion;
      continueToken = page.continue || undefined;
    } while (continueToken);
    this.lastContact = Date.now();
    // Reconcile the cache with the list: what vanished while we were away is deleted.
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.put(key, undefined, old);
        this.emit('delete', old);
      }
    }
    for (const [key, object] of seen) {
      const old = this.cache.get(key);
      this.put(key, object, old);
      if (!old) this.emit('add', object);
      else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) this.emit('update', object, old);
    }
    this.resourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  private watchOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      let gone = false;
      const timeoutSeconds = this.options.watchTimeoutSeconds ?? 240 + Math.floor(Math.random() * 120);
      this.options.onRequest?.('watch');
      this.watcher
        .watch(
          this.options.path,
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            labelSelector: this.options.labelSelector,
            timeoutSeconds,
          },
          (type: string, object: T & { code?: number; message?: string }) => {
            this.lastContact = Date.now();
            if (type === 'ERROR') {
              if (object.code === 410) gone = true;
              else reject(new Error(`watch of ${this.options.name}: ${object.message ?? 'error event'}`));
              return;
            }
            const resourceVersion = object.metadata?.resourceVersion;
            if (type === 'BOOKMARK') {
              if (resourceVersion) this.resourceVersion = resourceVersion;
              return;
            }
            const key = objectKey(object);
            const old = this.cache.get(key);
            if (type === 'DELETED') {
              this.put(key, undefined, old);
              this.emit('delete', this.store(object), old);
            } else {
              // The echo of our own write (already in the cache through upsert) changes nothing.
              if (old && resourceVersion && old.metadata?.resourceVersion === resourceVersion) {
                this.resourceVersion = resourceVersion;
                return;
              }
              const stored = this.store(object);
              this.put(key, stored, old);
              this.emit(old ? 'update' : 'add', stored, old);
            }
            if (resourceVersion) this.resourceVersion = resourceVersion;
          },
          (error: unknown) => {
            if (gone || (error as { statusCode?: number } | null)?.statusCode === 410) reject(new GoneError('410 Gone'));
            else if (error && !this.stopped && !isAbort(error)) reject(error);
            else resolve();
          },
        )
        .then((controller) => {
          this.abort = controller;
          if (this.stopped) controller.abort();
        })
        .catch(reject);
    });
  }
}

/** resourceVersions are opaque, but etcd's are integers: compare them as such when they are. */
function isNewer(candidate: string | undefined, current: string | undefined): boolean {
  if (!candidate || !current) return true;
  if (/^\d+$/.test(candidate) && /^\d+$/.test(current)) return BigInt(candidate) > BigInt(current);
  return candidate !== current;
}

/** A watch we closed, or one idle past the client's inactivity timeout: reopened, not a failure. */
function isAbort(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'AbortError' || name === 'TimeoutError';
}
