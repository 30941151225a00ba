// What the API server says when it refuses a request, read in one place: the HTTP code, the Status
// body's reason and message, and the per-field causes of a validation failure.
import { ApiException, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

/** A metav1.Status as the API server sends it with an error. */
export interface KubeStatus {
  code?: number;
  message?: string;
  reason?: string;
  details?: { name?: string; kind?: string; causes?: KubeStatusCause[] };
}

export interface KubeStatusCause {
  field?: string;
  message?: string;
  reason?: string;
}

/** The HTTP code of a failed API request, or undefined when the request never got an answer. */
export function statusCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** The Status body of a failed API request; a body that is not JSON becomes its message. */
export function statusOf(error: unknown): KubeStatus | undefined {
  if (!(error instanceof ApiException)) return undefined;
  const body = error.body as KubeStatus | string | undefined;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as KubeStatus;
    } catch {
      return { message: body };
    }
  }
  return body ?? {};
}

/** The Status reason, e.g. "AlreadyExists", "Invalid", "Forbidden". */
export function statusReason(error: unknown): string | undefined {
  return statusOf(error)?.reason;
}

/** The fields a validation failure names, in the API server's order and wording. */
export function statusCauses(error: unknown): { field: string; message: string }[] {
  return (statusOf(error)?.details?.causes ?? []).map((cause) => ({ field: cause.field ?? '', message: cause.message ?? '' }));
}

export const isNotFound = (error: unknown): boolean => statusCode(error) === 404;
export const isConflict = (error: unknown): boolean => statusCode(error) === 409;
export const isForbidden = (error: unknown): boolean => statusCode(error) === 403;

/** Resolves to undefined when the object is not there; any other failure is thrown on. */
export async function ignoreNotFound<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The API server's own message for a failed request ("404: ..."), for logs and conditions. */
export function apiMessage(error: unknown): string {
  if (error instanceof ApiException) return `${error.code}: ${statusOf(error)?.message ?? error.message}`;
  return (error as Error)?.message ?? String(error);
}

/** Request options for a JSON merge patch (RFC 7386); client-node defaults to JSON patch. */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
