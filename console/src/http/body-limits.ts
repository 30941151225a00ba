// How much of a request body each route takes, checked before anything reads the body (hono's
// bodyLimit: a Content-Length over the limit is refused at once, a streamed body is counted as it
// arrives and refused at the first byte beyond). A refusal is a 413 in the gateway's error shape;
// the rest of the body is never read into memory (@hono/node-server drains or drops it).
import type { MiddlewareHandler } from 'hono';
import { MEDIA_MAX_BYTES } from '@acog/api';
import { bodyLimit } from 'hono/body-limit';
import { MAX_WEBHOOK_BYTES } from '../webhooks/heygen.ts';
import { API } from './context.ts';
import { tooLarge } from './errors.ts';

export const KiB = 1024;

/**
 * An Episode as the create route takes it: its spec is bounded by the CRD's schema (every string
 * and list has a maximum: about 144 KiB of JSON at the very most), its metadata by the API
 * server's limits (annotations 256 KiB in all, labels, a name); 512 KiB holds the largest valid one.
 */
export const EPISODE_CREATE_LIMIT = 512 * KiB;

export const BODY_LIMITS = {
  /** {"token": "..."}: the token is at most 16 384 characters. */
  session: 24 * KiB,
  /** {"stage": "..."}, or nothing. */
  action: 4 * KiB,
  episode: EPISODE_CREATE_LIMIT,
  /** {"spec": ...}: the Episode being written, bounded as the create route's. */
  estimate: EPISODE_CREATE_LIMIT,
  /** An Episode's or Channel's spec (editor, script review, own media), or a new Channel: bounded as an Episode. */
  edit: EPISODE_CREATE_LIMIT,
  webhook: MAX_WEBHOOK_BYTES,
  /** A clip or image of the Episode's own media, streamed to S3: as large as a stage downloads. */
  media: MEDIA_MAX_BYTES,
  /** Any other route: none takes a body; a little is tolerated. */
  other: 16 * KiB,
} as const;

const EPISODE_ACTION = new RegExp(`^${API}/namespaces/[^/]+/episodes/[^/]+/(approve|retry|suspend|resume|cancel)$`);
const EPISODE_CREATE = new RegExp(`^${API}/namespaces/[^/]+/episodes$`);
const EPISODE_MEDIA = new RegExp(`^${API}/namespaces/[^/]+/episodes/[^/]+/media$`);
const ESTIMATE = new RegExp(`^${API}/namespaces/[^/]+/estimates$`);
const EDIT = new RegExp(`^${API}/namespaces/[^/]+/(episodes/[^/]+|channels|channels/[^/]+)$`);

/** The limit of one request, by its path. */
export function bodyLimitOf(path: string): number {
  if (path === `${API}/session`) return BODY_LIMITS.session;
  if (path.startsWith('/webhooks/')) return BODY_LIMITS.webhook;
  if (EPISODE_CREATE.test(path)) return BODY_LIMITS.episode;
  if (ESTIMATE.test(path)) return BODY_LIMITS.estimate;
  if (EPISODE_ACTION.test(path)) return BODY_LIMITS.action;
  if (EDIT.test(path)) return BODY_LIMITS.edit;
  if (EPISODE_MEDIA.test(path)) return BODY_LIMITS.media;
  return BODY_LIMITS.other;
}

/** The middleware: every route's body bounded before it is parsed. */
export function bodyLimits(): MiddlewareHandler {
  const byLimit = new Map<number, MiddlewareHandler>();
  for (const limit of new Set(Object.values(BODY_LIMITS))) {
    byLimit.set(
      limit,
      bodyLimit({
        maxSize: limit,
        onError: () => {
          throw tooLarge(limit);
        },
      }),
    );
  }
  return (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return byLimit.get(bodyLimitOf(c.req.path))!(c, next);
  };
}
