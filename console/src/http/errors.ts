// The gateway's error answers: one JSON shape, { error: { status, reason, message, ... } }, with
// the missing permission named on a 403 and the bad fields named on a 422.
import type { FieldError } from '@acog/api';

export interface Permission {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface ErrorBody {
  error: {
    status: number;
    reason: string;
    message: string;
    missing?: Permission;
    fields?: FieldError[];
  };
}

export class HttpError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly missing?: Permission;
  readonly fields?: FieldError[];
  /** Headers of the answer, e.g. Retry-After on a 429. */
  readonly headers?: Record<string, string>;
  constructor(
    status: number,
    reason: string,
    message: string,
    extra: { missing?: Permission; fields?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.reason = reason;
    this.missing = extra.missing;
    this.fields = extra.fields;
    this.headers = extra.headers;
  }

  body(): ErrorBody {
    return {
      error: { status: this.status, reason: this.reason, message: this.message, missing: this.missing, fields: this.fields },
    };
  }
}

/** "patch episodes.acog.dev in namespace team-b", kubectl auth can-i's words. */
export function describePermission(permission: Permission): string {
  const resource = `${permission.resource}${permission.subresource ? `/${permission.subresource}` : ''}${permission.group ? `.${permission.group}` : ''}`;
  const name = permission.name ? ` "${permission.name}"` : '';
  const where = permission.namespace ? ` in namespace ${permission.namespace}` : ' cluster-wide';
  return `${permission.verb} ${resource}${name}${where}`;
}

export const unauthorized = (message: string) => new HttpError(401, 'Unauthorized', message);
export const notFound = (message: string) => new HttpError(404, 'NotFound', message);
export const badRequest = (message: string, fields?: FieldError[]) => new HttpError(400, 'BadRequest', message, { fields });
export const conflict = (message: string) => new HttpError(409, 'Conflict', message);
export const invalid = (message: string, fields: FieldError[]) => new HttpError(422, 'Invalid', message, { fields });
export const tooLarge = (limit: number) =>
  new HttpError(413, 'PayloadTooLarge', `the request body is larger than this route takes (${limit} bytes)`);
/** A 429 with Retry-After (seconds, at least 1). */
export const tooMany = (message: string, retryAfterSeconds: number) =>
  new HttpError(429, 'TooManyRequests', message, { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) } });

export function forbidden(user: string, permission: Permission, reason?: string): HttpError {
  return new HttpError(403, 'Forbidden', `user "${user}" may not ${describePermission(permission)}${reason ? ` (${reason})` : ''}`, {
    missing: permission,
  });
}
