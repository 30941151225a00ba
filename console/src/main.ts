#!/usr/bin/env node
// acog-console: the gateway and the console it serves. Stops cleanly on SIGTERM.
import { KubeConfig } from '@kubernetes/client-node';
import { HELP, parseConfig } from './config.ts';
import { DEFAULT_STATIC_DIR, startGateway } from './gateway.ts';
import { createLogger } from './observability/logger.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`acog-console: ${(error as Error).message}\n\n${HELP}\n`);
    process.exit(2);
  }
  if (config === 'help') {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (!config.kubeconfig && !process.env.KUBERNETES_SERVICE_HOST) {
    process.stderr.write('acog-console: --kubeconfig (or KUBECONFIG) is required outside a Kubernetes Pod (no in-cluster configuration)\n');
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromCluster();
  const gateway = await startGateway({
    kubeConfig,
    address: config.address,
    internalAddress: config.internalAddress,
    aggregated: config.aggregated,
    trustedProxies: config.trustedProxies,
    streams: config.streams,
    authFailuresPerMinute: config.authFailuresPerMinute,
    staticDir: config.staticDir ?? DEFAULT_STATIC_DIR,
    natsUrl: config.natsUrl,
    s3: config.s3,
    heygenWebhook: config.heygenWebhook,
    pulseSecretsDir: config.pulseSecretsDir,
    databaseUrl: config.databaseUrl,
    authProxy: config.authProxy,
    secureCookies: config.secureCookies,
    heartbeatMs: config.heartbeatMs,
    log,
  });
  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await gateway.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

await main();
