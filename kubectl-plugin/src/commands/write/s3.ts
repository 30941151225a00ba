// The S3 connection of artifacts and doctor: flags --s3-endpoint and --s3-region, else the
// environment the runners use (ACOG_S3_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
// Credentials are handed to the SDK and never printed.
import { S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { s3OptionsFromEnv } from '@acog/store/s3';

export interface S3Flags {
  s3Endpoint?: string;
  s3Region?: string;
}

export interface S3Connection {
  client: S3Client;
  /** Where requests go, for messages: the endpoint, or AWS S3 in a region. */
  where: string;
  endpoint?: string;
  hasCredentials: boolean;
}

export function addS3Options(command: Command): Command {
  return command
    .option('--s3-endpoint <url>', 'the S3 server, e.g. http://localhost:9000 for MinIO (default: $ACOG_S3_ENDPOINT, else AWS S3)')
    .option('--s3-region <region>', 'the S3 region (default: $AWS_REGION, else us-east-1)');
}

/** An endpoint with any user:password taken out, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

export function s3Connection(flags: S3Flags, env: Record<string, string | undefined>): S3Connection {
  const fromEnv = s3OptionsFromEnv(env);
  const endpoint = flags.s3Endpoint ?? fromEnv.endpoint;
  const region = flags.s3Region ?? fromEnv.region ?? 'us-east-1';
  const forcePathStyle = env.ACOG_S3_FORCE_PATH_STYLE ? env.ACOG_S3_FORCE_PATH_STYLE === 'true' : Boolean(endpoint);
  const hasCredentials = Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY);
  const client = new S3Client({
    endpoint,
    region,
    forcePathStyle,
    // From the command's environment; otherwise the SDK's own chain (profiles, web identity, ...).
    credentials: hasCredentials
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID!,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
          sessionToken: env.AWS_SESSION_TOKEN || undefined,
        }
      : undefined,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  });
  return { client, where: endpoint ? redact(endpoint) : `AWS S3 (${region})`, endpoint, hasCredentials };
}

/** Says what went wrong talking to S3, and what to do. */
export function explainS3Error(error: unknown, s3: S3Connection): string {
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string }; $metadata?: { httpStatusCode?: number } };
  const code = e.code ?? e.cause?.code;
  const status = e.$metadata?.httpStatusCode;
  if (e.name === 'CredentialsProviderError' || /credential/i.test(e.message ?? '')) {
    return 'no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or an AWS profile)';
  }
  if (code && ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET'].includes(code)) {
    return `cannot reach S3 at ${s3.where} (${code}): pass --s3-endpoint or set ACOG_S3_ENDPOINT (e.g. kubectl port-forward to the bundled S3)`;
  }
  if (e.name === 'TimeoutError' || /timed? ?out/i.test(e.message ?? '')) return `S3 at ${s3.where} did not answer in time`;
  if (status === 403 || e.name === 'AccessDenied' || e.name === 'Forbidden') {
    return `S3 at ${s3.where} refused access (403): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy`;
  }
  if (e.name === 'InvalidAccessKeyId' || e.name === 'SignatureDoesNotMatch')
    return `S3 at ${s3.where} did not accept the credentials (${e.name})`;
  return `S3 at ${s3.where} failed: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(error)}`;
}

export function isS3NotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404;
}
