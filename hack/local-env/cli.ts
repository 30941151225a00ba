// `node hack/local-env/cli.ts up`      starts the local control plane and keeps it up until Ctrl-C
// `node hack/local-env/cli.ts install` builds or finds its binaries, and starts nothing
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../paths.ts';
import { findBinaries } from './binaries.ts';
import { envVars, startLocalEnv } from './index.ts';

const command = process.argv[2] ?? 'up';

if (command === 'install') {
  const binaries = await findBinaries((line) => console.error(line));
  for (const [name, path] of Object.entries(binaries)) console.log(`${name.padEnd(14)} ${path}`);
} else if (command === 'up') {
  const env = await startLocalEnv();
  const exports = Object.entries(envVars(env))
    .map(([key, value]) => `export ${key}=${JSON.stringify(value)}`)
    .join('\n');
  await mkdir(join(repoRoot, '.acog'), { recursive: true });
  const envFile = join(repoRoot, '.acog', 'env.sh');
  await writeFile(envFile, exports + '\n', { mode: 0o600 });
  console.log(`The local control plane is up. In another shell:\n\n  source ${envFile}\n  kubectl get crds\n`);
  console.log(`Users (kubectl --context): ${Object.keys(env.kubernetes.tokens).join(', ')}. Logs: ${env.dir}\nCtrl-C stops everything.`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    await env.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  setInterval(() => undefined, 1 << 30);
} else {
  console.error(`unknown command ${command}: use up or install`);
  process.exit(2);
}
