// API server answers turned into messages that say what to do, as kubectl's do.
import { ApiException } from '@kubernetes/client-node';
import { statusOf } from '@acog/kube';

export class CommandError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CommandError';
    this.exitCode = exitCode;
  }
}

/** Describes a failed request: `what` names the object, e.g. `episode "x" in namespace "y"`. */
export function explainApiError(error: unknown, what: string, server?: string): CommandError {
  if (error instanceof ApiException) {
    const status = statusOf(error) ?? {};
    switch (error.code) {
      case 401:
        return new CommandError(`the API server did not accept your credentials (401): log in again or check the kubeconfig's user`);
      case 403:
        return new CommandError(`forbidden: ${status.message ?? `you may not do this to ${what}`}`);
      case 404:
        return new CommandError(
          `${what} not found${status.message?.includes('the server could not find the requested resource') ? ': are the ACOG CRDs installed? (kubectl acog doctor)' : ''}`,
        );
      case 409:
        return new CommandError(`conflict on ${what}: ${status.message ?? 'it changed meanwhile'}; try again`);
      case 422:
      case 400:
        return new CommandError(`${what} is invalid: ${status.message ?? 'the API server refused it'}`);
      default:
        return new CommandError(`the API server answered ${error.code} for ${what}: ${status.message ?? ''}`.trim());
    }
  }
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
  if (cause === 'ECONNREFUSED' || cause === 'ENOTFOUND' || cause === 'EHOSTUNREACH' || cause === 'ETIMEDOUT') {
    return new CommandError(
      `cannot reach the API server${server ? ` at ${server}` : ''} (${cause}): check --context and KUBECONFIG, or whether the cluster is up`,
    );
  }
  return new CommandError((error as Error).message ?? String(error));
}
