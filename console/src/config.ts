// The gateway's settings: flags, each with an environment variable (the chart sets those), checked
// before anything starts; a bad value is named. Secrets come from files or the environment, never flags.
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { s3OptionsFromEnv, type S3StoreOptions } from '@acog/store/s3';
import { databaseUrlProblem } from '@acog/db';
import type { AuthProxyOptions } from './auth/authenticator.ts';
import { splitAddress } from './gateway.ts';
import { AddressSet } from './http/network.ts';
import { DEFAULT_STREAM_LIMITS, type StreamLimits } from './http/streams.ts';

export interface GatewayConfig {
  kubeconfig?: string;
  address: string;
  internalAddress?: string;
  aggregated?: AggregatedApiConfig;
  trustedProxies: string[];
  streams: Partial<StreamLimits>;
  authFailuresPerMinute: number;
  staticDir?: string;
  natsUrl?: string;
  s3?: S3StoreOptions;
  /** Relay HeyGen's webhook deliveries (on NATS) for the avatar runners. */
  heygenWebhook: boolean;
  /** Take pulse deliveries at /webhooks/pulse, with the sources' secrets in this directory. */
  pulseSecretsDir?: string;
  databaseUrl?: string;
  authProxy?: AuthProxyOptions;
  secureCookies: boolean;
  logLevel: LevelWithSilent;
  heartbeatMs: number;
}

/** The aggregated API (history.acog.dev): where it listens and its serving certificate. */
export interface AggregatedApiConfig {
  address: string;
  certFile: string;
  keyFile: string;
}

export const HELP = `acog-console: the ACOG console and its gateway

  --kubeconfig FILE                  kubeconfig of the gateway (default: in-cluster)          KUBECONFIG
  --http-address HOST:PORT           where to listen (default 0.0.0.0:8080)                   ACOG_CONSOLE_HTTP_ADDRESS
  --internal-address HOST:PORT       /metrics, /openapi.json (and health) for the cluster, never
                                     the Ingress (the chart: 0.0.0.0:9090; default none)      ACOG_CONSOLE_INTERNAL_ADDRESS
  --aggregated-address HOST:PORT     the aggregated API history.acog.dev over TLS, for the API
                                     server's APIService (the chart: 0.0.0.0:8443; default none)
                                                                                              ACOG_CONSOLE_AGGREGATED_ADDRESS
  --aggregated-tls-cert FILE         its serving certificate (PEM; the APIService's caBundle)  ACOG_CONSOLE_AGGREGATED_TLS_CERT_FILE
  --aggregated-tls-key FILE          its key (PEM)                                            ACOG_CONSOLE_AGGREGATED_TLS_KEY_FILE
  --trusted-proxies A,B              reverse proxies (addresses or CIDRs) whose X-Forwarded-For and
                                     X-Forwarded-Proto are believed (default: none)           ACOG_CONSOLE_TRUSTED_PROXIES
  --static-dir DIR                   the built console (default: console/build)               ACOG_CONSOLE_STATIC_DIR
  --nats-url URL                     NATS, for webhook events                                 ACOG_NATS_URL
  --no-artifacts                     do not serve artifacts (no S3)
  --heygen-webhook                   relay HeyGen's deliveries at /webhooks/heygen on NATS
                                     for the avatar runners (needs --nats-url)                ACOG_HEYGEN_WEBHOOK=true
  --pulse-secrets-dir DIR            take pulse events at /webhooks/pulse: DIR holds one file per
                                     source, named after it, with its shared secret (the chart
                                     mounts console.pulse.sources there; needs --database-url)
                                                                                              ACOG_PULSE_SECRETS_DIR
  --database-url URL                 PostgreSQL, for history and spend (without it those
                                     routes answer 503)                                       ACOG_DATABASE_URL
  --auth-proxy-user-header H         trust an authenticating proxy's user header              ACOG_AUTH_PROXY_USER_HEADER
  --auth-proxy-groups-header H       its groups header (default X-Remote-Group)               ACOG_AUTH_PROXY_GROUPS_HEADER
  --auth-proxy-trusted A,B           addresses (or CIDRs) the proxy connects from; identity
                                     headers from anywhere else are refused (default 127.0.0.1,::1)
                                                                                              ACOG_AUTH_PROXY_TRUSTED
  --auth-failures-per-minute N       distinct refused tokens per client and minute, then 429
                                     (default 10; 0: no limit)                                ACOG_CONSOLE_AUTH_FAILURES_PER_MINUTE
  --secure-cookies                   always mark the session cookie Secure (it is anyway over TLS,
                                     or with X-Forwarded-Proto: https from a trusted proxy)   ACOG_CONSOLE_SECURE_COOKIES
  --heartbeat-seconds N              SSE heartbeat period (default 15)
  --max-streams N                    event streams open at once, then 429 (default ${DEFAULT_STREAM_LIMITS.maxStreams})      ACOG_CONSOLE_MAX_STREAMS
  --max-streams-per-user N           event streams of one user at once, then 429 (default ${DEFAULT_STREAM_LIMITS.maxStreamsPerUser})
                                                                                              ACOG_CONSOLE_MAX_STREAMS_PER_USER
  --max-stream-lag N                 changes a stream's client may fall behind before it is
                                     closed as too slow (default and most ${DEFAULT_STREAM_LIMITS.maxLag})              ACOG_CONSOLE_MAX_STREAM_LAG
  --stream-review-seconds N          a stream's token is reviewed again this often; a refusal
                                     ends the stream (default ${DEFAULT_STREAM_LIMITS.reviewMs / 1000})                             ACOG_CONSOLE_STREAM_REVIEW_SECONDS
  --log-level LEVEL                  trace, debug, info, warn, error, silent (default info)   ACOG_LOG_LEVEL
S3 comes from ACOG_S3_ENDPOINT, AWS_REGION and the AWS credential chain, as the runners'.`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function parseConfig(argv: string[], env: Record<string, string | undefined>): GatewayConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      kubeconfig: { type: 'string' },
      'http-address': { type: 'string' },
      'internal-address': { type: 'string' },
      'aggregated-address': { type: 'string' },
      'aggregated-tls-cert': { type: 'string' },
      'aggregated-tls-key': { type: 'string' },
      'trusted-proxies': { type: 'string' },
      'auth-failures-per-minute': { type: 'string' },
      'max-streams': { type: 'string' },
      'max-streams-per-user': { type: 'string' },
      'max-stream-lag': { type: 'string' },
      'stream-review-seconds': { type: 'string' },
      'static-dir': { type: 'string' },
      'nats-url': { type: 'string' },
      'no-artifacts': { type: 'boolean' },
      'heygen-webhook': { type: 'boolean' },
      'pulse-secrets-dir': { type: 'string' },
      'database-url': { type: 'string' },
      'heygen-webhook-secret-file': { type: 'string' },
      'auth-proxy-user-header': { type: 'string' },
      'auth-proxy-groups-header': { type: 'string' },
      'auth-proxy-trusted': { type: 'string' },
      'secure-cookies': { type: 'boolean' },
      'heartbeat-seconds': { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const address = values['http-address'] ?? env.ACOG_CONSOLE_HTTP_ADDRESS ?? '0.0.0.0:8080';
  splitAddress(address);
  // No internal port unless asked (the chart asks): a second port must not collide with whatever
  // else runs beside a gateway started by hand. Without it, /metrics and /openapi.json answer only
  // on the public port's loopback.
  const internalAddress = (values['internal-address'] ?? env.ACOG_CONSOLE_INTERNAL_ADDRESS ?? '').trim() || undefined;
  if (internalAddress) {
    try {
      splitAddress(internalAddress);
    } catch (error) {
      throw new Error(`--internal-address: "${internalAddress}" is not host:port`, { cause: error });
    }
  }
  const aggregatedAddress = (values['aggregated-address'] ?? env.ACOG_CONSOLE_AGGREGATED_ADDRESS ?? '').trim() || undefined;
  let aggregated: AggregatedApiConfig | undefined;
  if (aggregatedAddress) {
    try {
      splitAddress(aggregatedAddress);
    } catch (error) {
      throw new Error(`--aggregated-address: "${aggregatedAddress}" is not host:port`, { cause: error });
    }
    const certFile = (values['aggregated-tls-cert'] ?? env.ACOG_CONSOLE_AGGREGATED_TLS_CERT_FILE ?? '').trim();
    const keyFile = (values['aggregated-tls-key'] ?? env.ACOG_CONSOLE_AGGREGATED_TLS_KEY_FILE ?? '').trim();
    if (!certFile || !keyFile)
      throw new Error(
        '--aggregated-tls-cert and --aggregated-tls-key: required with --aggregated-address (the API server speaks only TLS to it)',
      );
    aggregated = { address: aggregatedAddress, certFile, keyFile };
  }
  const addresses = (flag: string, value: string | undefined, fallback: string) => {
    const entries = (value ?? fallback)
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    try {
      new AddressSet(entries);
    } catch (error) {
      throw new Error(`--${flag}: ${(error as Error).message}`, { cause: error });
    }
    return entries;
  };
  const integer = (flag: string, value: string | undefined, fallback: number, min: number, max: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${flag}: must be a whole number from ${min} to ${max}`);
    return n;
  };
  const trustedProxies = addresses('trusted-proxies', values['trusted-proxies'] ?? env.ACOG_CONSOLE_TRUSTED_PROXIES, '');
  const streams: Partial<StreamLimits> = {
    maxStreams: integer(
      'max-streams',
      values['max-streams'] ?? env.ACOG_CONSOLE_MAX_STREAMS,
      DEFAULT_STREAM_LIMITS.maxStreams,
      1,
      1_000_000,
    ),
    maxStreamsPerUser: integer(
      'max-streams-per-user',
      values['max-streams-per-user'] ?? env.ACOG_CONSOLE_MAX_STREAMS_PER_USER,
      DEFAULT_STREAM_LIMITS.maxStreamsPerUser,
      1,
      100_000,
    ),
    maxLag: integer(
      'max-stream-lag',
      values['max-stream-lag'] ?? env.ACOG_CONSOLE_MAX_STREAM_LAG,
      DEFAULT_STREAM_LIMITS.maxLag,
      1,
      1_000_000,
    ),
    reviewMs:
      integer(
        'stream-review-seconds',
        values['stream-review-seconds'] ?? env.ACOG_CONSOLE_STREAM_REVIEW_SECONDS,
        DEFAULT_STREAM_LIMITS.reviewMs / 1000,
        1,
        86_400,
      ) * 1000,
  };
  const authFailuresPerMinute = integer(
    'auth-failures-per-minute',
    values['auth-failures-per-minute'] ?? env.ACOG_CONSOLE_AUTH_FAILURES_PER_MINUTE,
    10,
    0,
    100_000,
  );
  const logLevel = values['log-level'] ?? env.ACOG_LOG_LEVEL ?? 'info';
  if (!LEVELS.includes(logLevel)) throw new Error(`--log-level: "${logLevel}" is not one of ${LEVELS.join(', ')}`);
  const heartbeat = Number(values['heartbeat-seconds'] ?? '15');
  if (!Number.isFinite(heartbeat) || heartbeat < 1 || heartbeat > 300) throw new Error(`--heartbeat-seconds: must be 1 to 300`);
  const heygenWebhook = Boolean(values['heygen-webhook'] ?? env.ACOG_HEYGEN_WEBHOOK === 'true');
  const natsUrl = values['nats-url'] ?? env.ACOG_NATS_URL;
  if (heygenWebhook && !natsUrl) throw new Error('--nats-url: required with --heygen-webhook (webhook events go on NATS)');
  const databaseUrl = (values['database-url'] ?? env.ACOG_DATABASE_URL ?? '').trim() || undefined;
  const databaseProblem = databaseUrl ? databaseUrlProblem(databaseUrl) : undefined;
  // The URL may hold a password: the message never echoes it.
  if (databaseProblem) throw new Error(`--database-url (or ACOG_DATABASE_URL) ${databaseProblem}`);
  const pulseSecretsDir = (values['pulse-secrets-dir'] ?? env.ACOG_PULSE_SECRETS_DIR ?? '').trim() || undefined;
  if (pulseSecretsDir && !databaseUrl)
    throw new Error('--database-url (or ACOG_DATABASE_URL): required with --pulse-secrets-dir (pulse events are stored in PostgreSQL)');
  const userHeader = values['auth-proxy-user-header'] ?? env.ACOG_AUTH_PROXY_USER_HEADER;
  const authProxy = userHeader
    ? {
        userHeader,
        groupsHeader: values['auth-proxy-groups-header'] ?? env.ACOG_AUTH_PROXY_GROUPS_HEADER ?? 'X-Remote-Group',
        trustedAddresses: addresses('auth-proxy-trusted', values['auth-proxy-trusted'] ?? env.ACOG_AUTH_PROXY_TRUSTED, '127.0.0.1,::1'),
      }
    : undefined;
  return {
    kubeconfig: values.kubeconfig ?? env.KUBECONFIG,
    address,
    internalAddress,
    aggregated,
    trustedProxies,
    streams,
    authFailuresPerMinute,
    staticDir: values['static-dir'] ?? env.ACOG_CONSOLE_STATIC_DIR,
    natsUrl,
    s3: values['no-artifacts'] ? undefined : s3OptionsFromEnv(env),
    heygenWebhook,
    pulseSecretsDir,
    databaseUrl,
    authProxy,
    secureCookies: Boolean(values['secure-cookies'] ?? env.ACOG_CONSOLE_SECURE_COOKIES === 'true'),
    logLevel: logLevel as LevelWithSilent,
    heartbeatMs: heartbeat * 1000,
  };
}
