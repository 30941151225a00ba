// Clients of the local control plane for tests, one per concern.
import { inject } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { S3Client } from '@aws-sdk/client-s3';
import { run } from '@acog/hack/local-env/process';
import type { KubeContext, LocalEnvInfo, UserRole } from '@acog/hack/local-env';
import { reuseConnections } from '@acog/kube';

export function localEnv(): LocalEnvInfo {
  const env = inject('localEnv');
  if (!env) throw new Error('the local control plane is not running: run the tests with `npm test` (vitest global setup)');
  return env;
}

/** A KubeConfig that authenticates as one of the local users (or with a given token). */
export function kubeConfig(user: UserRole | { token: string } = 'admin'): KubeConfig {
  const env = localEnv();
  const token = typeof user === 'string' ? env.kubernetes.tokens[user] : user.token;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'acog-local', server: env.kubernetes.server, caData: Buffer.from(env.kubernetes.caData).toString('base64') }],
    users: [{ name: 'user', token }],
    contexts: [{ name: 'ctx', cluster: 'acog-local', user: 'user' }],
    currentContext: 'ctx',
  });
  return reuseConnections(kc);
}

export function s3Client(): S3Client {
  const { s3 } = localEnv();
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/** The environment that points a program (the CLI, a runner) at the local S3 and NATS. */
export function serviceEnv(): Record<string, string> {
  const { s3, nats } = localEnv();
  return {
    ACOG_S3_ENDPOINT: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    ACOG_NATS_URL: nats.url,
  };
}

/** Runs the control plane's kubectl as a user; resolves with stdout+stderr, rejects on a non-zero exit. */
export function kubectl(args: string[], user: KubeContext = 'admin'): Promise<string> {
  const env = localEnv();
  return run(env.binaries.kubectl, ['--kubeconfig', env.kubernetes.kubeconfig, '--context', user, ...args]);
}

/** A namespace of its own for a test file, so tests never see each other's objects. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
