// YouTube's errors as ProviderErrors that say what happened and what to do, and the Data API's
// quota: the units each call costs and the daily reset at midnight Pacific time.
import { ProviderError, type ProviderErrorKind } from '../../http.ts';

/**
 * Quota units per call of the project's daily quota (10,000 units by default), from the Data API's
 * quota table. videos.insert is not among them: since 2026-06-01 uploads have a bucket of their own.
 */
export const QUOTA_UNITS = {
  videosList: 1,
  videosUpdate: 50,
  thumbnailsSet: 50,
  captionsInsert: 400,
  playlistItemsInsert: 50,
} as const;

/** videos.insert's own daily bucket (since 2026-06-01): 100 units a day by default, 1 unit an upload. */
export const UPLOAD_QUOTA = { unitsPerUpload: 1, dailyUnits: 100 } as const;

const PACIFIC_TIME = 'America/Los_Angeles';
export const AUDIT_FORM = 'https://support.google.com/youtube/contact/yt_api_form';
/** Where a project asks for more quota: the audit and quota extension form. */
const QUOTA_FORM = AUDIT_FORM;

/** Which daily quota a quotaExceeded used up: videos.insert's own bucket, or the project's units. */
export type YouTubeQuota = 'uploads' | 'units';

/** A YouTube error with Google's reason (quotaExceeded, forbiddenPrivacySetting, invalid_grant…). */
export class YouTubeError extends ProviderError {
  readonly reason?: string;
  readonly quota?: YouTubeQuota;
  constructor(
    kind: ProviderErrorKind,
    message: string,
    options: { status?: number; retryAfterMs?: number; reason?: string; quota?: YouTubeQuota; cause?: unknown } = {},
  ) {
    super('YouTube', kind, message, options);
    this.name = 'YouTubeError';
    this.reason = options.reason;
    this.quota = options.quota;
  }
}

export interface GoogleErrorInfo {
  status: number;
  reason?: string;
  message: string;
}

/** Reads Google's error bodies: {error: {code, message, errors: [{reason}]}} and OAuth's {error, error_description}. */
export function googleErrorInfo(status: number, body: unknown): GoogleErrorInfo {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return { status, message: body.slice(0, 500) || `HTTP ${status}` };
    }
  }
  const record = (parsed ?? {}) as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'string') {
    return { status, reason: error, message: typeof record.error_description === 'string' ? record.error_description : error };
  }
  if (error && typeof error === 'object') {
    const detail = error as { message?: string; status?: string; errors?: { reason?: string; message?: string }[] };
    return {
      status,
      reason: detail.errors?.[0]?.reason ?? detail.status,
      message: detail.message ?? detail.errors?.[0]?.message ?? `HTTP ${status}`,
    };
  }
  return { status, message: `HTTP ${status}` };
}

function zoneOffsetMs(at: Date, timeZone: string): number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const parts = Object.fromEntries(format.formatToParts(at).map((part) => [part.type, Number(part.value)]));
  const wallClockAsUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wallClockAsUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** YouTube's daily quotas reset at midnight Pacific time: the next such midnight after `now`. */
export function nextQuotaReset(now: Date): Date {
  const offset = zoneOffsetMs(now, PACIFIC_TIME);
  const wallClock = new Date(now.getTime() + offset);
  const nextMidnight = Date.UTC(wallClock.getUTCFullYear(), wallClock.getUTCMonth(), wallClock.getUTCDate() + 1);
  // The offset at midnight differs from now's on the days daylight saving time begins or ends.
  return new Date(nextMidnight - zoneOffsetMs(new Date(nextMidnight - offset), PACIFIC_TIME));
}

function untilReset(now: Date): { at: Date; text: string; ms: number } {
  const at = nextQuotaReset(now);
  const ms = at.getTime() - now.getTime();
  const minutes = Math.ceil(ms / 60_000);
  const text = minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
  return { at, text, ms };
}

export interface FailureContext {
  /** e.g. "videos.insert" or "POST /token". */
  where: string;
  /** The Secret that holds the YouTube credentials, for messages. */
  secretName?: string;
  now: Date;
  retryAfterMs?: number;
}

/** Turns Google's answer into an error that says what happened and what to do. */
export function youtubeFailure(info: GoogleErrorInfo, context: FailureContext): YouTubeError {
  const { status, reason, message } = info;
  const secret = context.secretName ? `Secret ${context.secretName}` : "the Secret named in the Channel's publisher.secretRef";
  const options = { status, reason, retryAfterMs: context.retryAfterMs };
  const at = `${reason ? `${reason}, ` : ''}${status} on ${context.where}`;
  switch (reason) {
    case 'invalid_grant':
      return new YouTubeError(
        'auth',
        `Google refused the YouTube refresh token (${at}: ${message}): it has expired or been revoked. ` +
          `Refresh tokens of an OAuth app whose publishing status is "Testing" expire after 7 days. ` +
          `Re-authorise the channel (scopes youtube.upload and youtube.force-ssl) and store the new YOUTUBE_REFRESH_TOKEN in ${secret}.`,
        options,
      );
    case 'invalid_client':
    case 'unauthorized_client':
      return new YouTubeError(
        'auth',
        `Google does not accept the OAuth client (${at}: ${message}); check YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET in ${secret}.`,
        options,
      );
    case 'quotaExceeded':
    case 'dailyLimitExceeded': {
      const reset = untilReset(context.now);
      // An upload draws on its own bucket, not on the units: a refused upload says so, and what to do.
      if (context.where === 'videos.insert') {
        return new YouTubeError(
          'rate-limit',
          `The Google Cloud project's daily videos.insert quota is used up (${at}: ${message}): uploads have a bucket of their own ` +
            `(${UPLOAD_QUOTA.dailyUnits} a day by default, ${UPLOAD_QUOTA.unitsPerUpload} unit each), apart from the 10,000 units of the other calls. ` +
            `It resets at midnight Pacific time, ${reset.at.toISOString()} (in ${reset.text}); the upload is retried then with \`kubectl acog retry\`, ` +
            `or ask Google for more uploads a day (${QUOTA_FORM}).`,
          { ...options, quota: 'uploads', retryAfterMs: reset.ms },
        );
      }
      return new YouTubeError(
        'rate-limit',
        `The daily YouTube Data API quota of the Google Cloud project is used up (${at}: ${message}). ` +
          `It resets at midnight Pacific time, ${reset.at.toISOString()} (in ${reset.text}); retry the upload after that, or ask Google for a higher quota.`,
        { ...options, quota: 'units', retryAfterMs: reset.ms },
      );
    }
    case 'uploadLimitExceeded': {
      const reset = untilReset(context.now);
      return new YouTubeError(
        'rate-limit',
        `The channel has used up its daily YouTube upload limit (${at}: ${message}). YouTube lifts it within 24 hours; ` +
          `daily limits reset at midnight Pacific time, next at ${reset.at.toISOString()} (in ${reset.text}). Retry the upload after that.`,
        { ...options, retryAfterMs: Math.max(reset.ms, 24 * 3600_000) },
      );
    }
    case 'forbiddenPrivacySetting':
      return new YouTubeError(
        'client',
        `YouTube refused the privacy setting (${at}: ${message}). Videos uploaded through an API project that has not passed ` +
          `YouTube's API audit stay private: the video was uploaded private because the API project is unaudited. ` +
          `Request an audit (${AUDIT_FORM}) or publish with privacy private.`,
        options,
      );
    case 'insufficientPermissions':
    case 'ACCESS_TOKEN_SCOPE_INSUFFICIENT':
      return new YouTubeError(
        'auth',
        `The YouTube refresh token lacks a scope (${at}: ${message}): uploads need youtube.upload and captions youtube.force-ssl. ` +
          `Re-authorise the channel with both scopes and store the new YOUTUBE_REFRESH_TOKEN in ${secret}.`,
        options,
      );
    case 'rateLimitExceeded':
    case 'userRateLimitExceeded':
      return new YouTubeError('rate-limit', `YouTube is rate-limiting (${at}: ${message})`, options);
  }
  if (status === 401) {
    return new YouTubeError(
      'auth',
      `YouTube refused the credentials (${at}: ${message}); check YOUTUBE_CLIENT_ID, YOUTUBE_CLIENT_SECRET and YOUTUBE_REFRESH_TOKEN in ${secret}.`,
      options,
    );
  }
  if (status === 403) return new YouTubeError('auth', `YouTube refused the request (${at}: ${message})`, options);
  if (status === 429) return new YouTubeError('rate-limit', `YouTube is rate-limiting (${at}: ${message})`, options);
  if (status >= 500) return new YouTubeError('server', `YouTube failed (${at}: ${message})`, options);
  if (status === 404) return new YouTubeError('not-found', `YouTube found nothing (${at}: ${message})`, options);
  return new YouTubeError('client', `YouTube refused the request (${at}: ${message})`, options);
}

export function isGaxiosError(error: unknown): error is Error & { response?: { status: number; data: unknown; headers?: Headers } } {
  return error instanceof Error && 'config' in error;
}
