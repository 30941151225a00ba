// A watch that keeps going: it starts from a list's resourceVersion, reconnects from the last
// resourceVersion it saw when the connection ends (server timeout, idle timeout, a network
// error), and lists again when that resourceVersion has expired (410 Gone), reporting what
// changed meanwhile. It ends when the caller says so, when the signal aborts, or on an error
// that a new connection would not cure (401, 403, 404, or repeated failures).
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { CommandError } from '../../kube/errors.ts';
import type { ObjectList } from './common.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Meta {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface WatchLoopOptions<T extends Meta> {
  kc: KubeConfig;
  /** The collection's URL path, e.g. /apis/acog.dev/v1alpha1/namespaces/x/episodes. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** The list the watch continues from. */
  initial: ObjectList<T>;
  /** Lists again, after the resourceVersion expired. */
  relist: () => Promise<ObjectList<T>>;
  /** Called for each change; returning true ends the watch. */
  onEvent: (type: WatchEventType, object: T) => boolean | void;
  signal: AbortSignal;
  /** What is watched, for messages: `episodes in namespace "x"`. */
  what: string;
  /** How long the server keeps one connection open (the client gives up on a silent one after 30 s). */
  timeoutSeconds?: number;
  /** Consecutive failed connections before giving up. */
  maxFailures?: number;
  retryDelayMs?: number;
}

/** Why one connection ended. */
interface Ending {
  error?: unknown;
  expired: boolean;
  stopped: boolean;
}

export type WatchResult = 'stopped' | 'aborted';

function key(object: Meta): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

function httpStatus(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown; code?: unknown } | null)?.statusCode ?? (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function isTimeout(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'TimeoutError';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function watchLoop<T extends Meta>(options: WatchLoopOptions<T>): Promise<WatchResult> {
  const { signal } = options;
  const watch = new Watch(options.kc);
  const known = new Map<string, T>(options.initial.items.map((item) => [key(item), item]));
  let resourceVersion = options.initial.resourceVersion;
  let failures = 0;
  const maxFailures = options.maxFailures ?? 5;

  const deliver = (type: WatchEventType, object: T): boolean => {
    if (type === 'DELETED') known.delete(key(object));
    else known.set(key(object), object);
    return options.onEvent(type, object) === true;
  };

  const connectOnce = () =>
    new Promise<Ending>((resolve) => {
      const ending: Ending = { expired: false, stopped: false };
      let controller: AbortController | undefined;
      const abort = () => controller?.abort();
      const finish = (error: unknown) => {
        signal.removeEventListener('abort', abort);
        resolve({ ...ending, error: error ?? ending.error });
      };
      const onEvent = (type: string, object: T & { code?: number; message?: string }) => {
        if (ending.stopped || ending.expired || ending.error || signal.aborted) return;
        if (type === 'BOOKMARK') {
          resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
          return;
        }
        if (type === 'ERROR') {
          if (object.code === 410) ending.expired = true;
          else ending.error = Object.assign(new Error(object.message ?? 'the watch failed'), { statusCode: object.code });
          abort();
          return;
        }
        resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
        failures = 0;
        if (deliver(type as WatchEventType, object)) {
          ending.stopped = true;
          abort();
        }
      };
      const query = {
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: options.timeoutSeconds ?? 25,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      };
      watch.watch(options.path, query, onEvent, finish).then(
        (c) => {
          controller = c;
          if (signal.aborted || ending.stopped || ending.expired || ending.error) c.abort();
          else signal.addEventListener('abort', abort, { once: true });
        },
        (error: unknown) => finish(error),
      );
    });

  for (;;) {
    if (signal.aborted) return 'aborted';
    const ending = await connectOnce();
    if (ending.stopped) return 'stopped';
    if (signal.aborted) return 'aborted';
    const status = httpStatus(ending.error);
    if (ending.expired || status === 410) {
      if (relistAndReport(await options.relist())) return 'stopped';
      continue;
    }
    if (status === 401 || status === 403 || status === 404) {
      const reason = status === 401 ? 'the API server did not accept your credentials' : status === 403 ? 'forbidden' : 'not found';
      throw new CommandError(`cannot watch ${options.what} (${status}, ${reason}): ${(ending.error as Error).message}`);
    }
    if (ending.error && !isTimeout(ending.error)) {
      failures += 1;
      if (failures >= maxFailures) {
        throw new CommandError(`the watch of ${options.what} failed ${failures} times in a row: ${(ending.error as Error).message}`);
      }
      await sleep((options.retryDelayMs ?? 1000) * failures, signal);
    }
  }

  /** Reports what the relist shows changed since the last known state; true when the caller is done. */
  function relistAndReport(list: ObjectList<T>): boolean {
    resourceVersion = list.resourceVersion;
    const seen = new Set<string>();
    for (const item of list.items) {
      seen.add(key(item));
      const before = known.get(key(item));
      if (before?.metadata?.resourceVersion === item.metadata?.resourceVersion) continue;
      if (deliver(before ? 'MODIFIED' : 'ADDED', item)) return true;
    }
    for (const [name, item] of [...known]) {
      if (!seen.has(name) && deliver('DELETED', item)) return true;
    }
    return false;
  }
}
