// The console's client of the gateway: same origin, the session cookie, and the header that
// marks the console's own writes (the gateway refuses cookie writes without it: CSRF). The wire
// types are the gateway's, inferred from its zod schemas; type-only, so nothing of the server
// reaches the browser bundle.
import type { ApiError, EpisodeSummary } from '../../src/http/schemas.ts';

export type {
  ActionResult,
  ArchivedEpisodeDetail,
  ArchivedEpisodeSummary,
  ApiError,
  ChannelDetail,
  ChannelPage,
  ChannelSummary,
  EpisodeDetail,
  EpisodePage,
  EpisodeSummary,
  Estimate,
  EpisodeWritten,
  ChannelWritten,
  EventView,
  HistoryPage,
  JobList,
  JobRow,
  JobView,
  Namespaces,
  Permissions,
  PulseInboxItem,
  PulseInboxPage,
  SpendReport,
  StageView,
  User,
  ValidationResult,
} from '../../src/http/schemas.ts';

export class GatewayError extends Error {
  readonly error: ApiError;
  constructor(error: ApiError) {
    super(error.message);
    this.error = error;
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`/api/v1${path}`, {
    method,
    credentials: 'same-origin',
    headers: { 'x-acog-console': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const parsed = (await response.json().catch(() => ({}))) as { error?: ApiError };
  if (!response.ok) {
    if (response.status === 401 && !location.pathname.startsWith('/sign-in'))
      location.assign(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new GatewayError(parsed.error ?? { status: response.status, reason: 'Error', message: response.statusText });
  }
  return parsed as T;
}

export interface StreamChange<T> {
  type: 'add' | 'update' | 'delete';
  namespace: string;
  name: string;
  object: T;
}

/** How long to wait before opening a stream again that the gateway refused (429: too many open) or lost. */
const REOPEN_MS = 10_000;

/**
 * Live changes over server-sent events. EventSource reconnects by itself and sends Last-Event-ID,
 * so nothing is missed; on "reset" (history gone) the page reloads its data. A stream the gateway
 * refused (too many open: 429) is opened again later, from the last id seen; one it ended because
 * the token expired ("unauthorized") sends the user to sign in again.
 */
export function subscribe(
  query: string,
  handlers: { episode?: (c: StreamChange<EpisodeSummary>) => void; event?: (c: StreamChange<unknown>) => void; reset?: () => void },
): () => void {
  let source: EventSource | undefined;
  let lastId = '';
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const track = (e: Event) => {
    if ((e as MessageEvent).lastEventId) lastId = (e as MessageEvent).lastEventId;
  };
  const open = () => {
    const separator = query.includes('?') ? '&' : '?';
    const s = new EventSource(`/api/v1/stream${query}${lastId ? `${separator}lastEventId=${encodeURIComponent(lastId)}` : ''}`, {
      withCredentials: true,
    });
    source = s;
    for (const name of ['ready', 'episode', 'channel', 'event', 'reset']) s.addEventListener(name, track);
    if (handlers.episode) s.addEventListener('episode', (e) => handlers.episode!(JSON.parse((e as MessageEvent).data)));
    if (handlers.event) s.addEventListener('event', (e) => handlers.event!(JSON.parse((e as MessageEvent).data)));
    s.addEventListener('reset', () => handlers.reset?.());
    s.addEventListener('unauthorized', () => {
      s.close();
      stopped = true;
      location.assign(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
    });
    s.addEventListener('error', () => {
      // EventSource gives up on an answer that is not a stream (429, 401, 5xx): try again later.
      if (s.readyState === EventSource.CLOSED && !stopped) timer = setTimeout(open, REOPEN_MS);
    });
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}

export function money(value: number | undefined): string {
  return `$${(value ?? 0).toFixed(2)}`;
}

export function duration(start?: string, end?: string): string {
  if (!start) return '';
  const ms = (end ? Date.parse(end) : Date.now()) - Date.parse(start);
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
