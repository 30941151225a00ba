// The gateway's settings: flags, each with an environment variable (the chart sets those), checked
// before anything starts; a bad value is named. Secrets come from files or the environment, never flags.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { s3OptionsFromEnv, type S3StoreOptions } from '@acog/store/s3';
import type { AuthProxyOptions } from './auth/authenticator.ts';
import { splitAddress } from './gateway.ts';

export interface GatewayConfig {
  kubeconfig?: string;
  address: string;
  staticDir?: string;
  natsUrl?: string;
  s3?: S3StoreOptions;
  heygenWebhookSecret?: string;
  authProxy?: AuthProxyOptions;
  secureCookies: boolean;
  logLevel: LevelWithSilent;
  heartbeatMs: number;
}

export const HELP = `acog-console: the ACOG console and its gateway

  --kubeconfig FILE            kubeconfig of the gateway (default: in-cluster)        KUBECONFIG
  --http-address HOST:PORT     where to listen (default 0.0.0.0:8080)                 ACOG_CONSOLE_HTTP_ADDRESS
  --static-dir DIR             the built console (default: console/build)             ACOG_CONSOLE_STATIC_DIR
  --nats-url URL               NATS, for webhook events                               ACOG_NATS_URL
  --no-artifacts               do not serve artifacts (no S3)
  --heygen-webhook-secret-file FILE   HeyGen's webhook secret   ACOG_HEYGEN_WEBHOOK_SECRET_FILE (or the secret: ACOG_HEYGEN_WEBHOOK_SECRET)
  --auth-proxy-user-header H   trust an authenticating proxy's user header            ACOG_AUTH_PROXY_USER_HEADER
  --auth-proxy-groups-header H its groups header (default X-Remote-Group)             ACOG_AUTH_PROXY_GROUPS_HEADER
  --auth-proxy-trusted A,B     addresses the proxy connects from (default 127.0.0.1,::1)  ACOG_AUTH_PROXY_TRUSTED
  --secure-cookies             mark the session cookie Secure (behind HTTPS)          ACOG_CONSOLE_SECURE_COOKIES
  --heartbeat-seconds N        SSE heartbeat period (default 15)
  --log-level LEVEL            trace, debug, info, warn, error, silent (default info) ACOG_LOG_LEVEL
S3 comes from ACOG_S3_ENDPOINT, AWS_REGION and the AWS credential chain, as the runners'.`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function parseConfig(
  argv: string[],
  env: Record<string, string | undefined>,
  readFile = (file: string) => readFileSync(file, 'utf8'),
): GatewayConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      kubeconfig: { type: 'string' },
      'http-address': { type: 'string' },
      'static-dir': { type: 'string' },
      'nats-url': { type: 'string' },
      'no-artifacts': { type: 'boolean' },
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
  const logLevel = values['log-level'] ?? env.ACOG_LOG_LEVEL ?? 'info';
  if (!LEVELS.includes(logLevel)) throw new Error(`--log-level: "${logLevel}" is not one of ${LEVELS.join(', ')}`);
  const heartbeat = Number(values['heartbeat-seconds'] ?? '15');
  if (!Number.isFinite(heartbeat) || heartbeat < 1 || heartbeat > 300) throw new Error(`--heartbeat-seconds: must be 1 to 300`);
  const secretFile = values['heygen-webhook-secret-file'] ?? env.ACOG_HEYGEN_WEBHOOK_SECRET_FILE;
  const heygenWebhookSecret = (secretFile ? readFile(secretFile) : (env.ACOG_HEYGEN_WEBHOOK_SECRET ?? '')).trim() || undefined;
  const natsUrl = values['nats-url'] ?? env.ACOG_NATS_URL;
  if (heygenWebhookSecret && !natsUrl) throw new Error('--nats-url: required with a HeyGen webhook secret (webhook events go on NATS)');
  const userHeader = values['auth-proxy-user-header'] ?? env.ACOG_AUTH_PROXY_USER_HEADER;
  const authProxy = userHeader
    ? {
        userHeader,
        groupsHeader: values['auth-proxy-groups-header'] ?? env.ACOG_AUTH_PROXY_GROUPS_HEADER ?? 'X-Remote-Group',
        trustedAddresses: (values['auth-proxy-trusted'] ?? env.ACOG_AUTH_PROXY_TRUSTED ?? '127.0.0.1,::1')
          .split(',')
          .map((entry) => entry.trim())
          .filter(Boolean),
      }
    : undefined;
  return {
    kubeconfig: values.kubeconfig ?? env.KUBECONFIG,
    address,
    staticDir: values['static-dir'] ?? env.ACOG_CONSOLE_STATIC_DIR,
    natsUrl,
    s3: values['no-artifacts'] ? undefined : s3OptionsFromEnv(env),
    heygenWebhookSecret,
    authProxy,
    secureCookies: Boolean(values['secure-cookies'] ?? env.ACOG_CONSOLE_SECURE_COOKIES === 'true'),
    logLevel: logLevel as LevelWithSilent,
    heartbeatMs: heartbeat * 1000,
  };
}
