// The operator image builds here (hack/images/build.sh, from the Debian base hack/ makes, no
// registry) with the tag the chart's defaults expect, and starts as the chart runs it: a non-root
// user, a read-only root filesystem, no capabilities. (The runner image: test/runners/runner-image.test.ts.)
import { beforeAll, describe, expect, it } from 'vitest';
import { exec, repoRoot, succeeded } from './support.ts';

const IMAGE = 'acog/operator:dev';

/** docker run as the chart's securityContext runs the container. */
function run(args: string[]) {
  return exec('docker', [
    'run',
    '--rm',
    '--read-only',
    '--user',
    '65532:65532',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    IMAGE,
    ...args,
  ]);
}

describe(`the operator image ${IMAGE}`, () => {
  beforeAll(async () => {
    // Layers are cached: a second build costs seconds.
    succeeded(await exec('bash', ['hack/images/build.sh', 'operator'], { cwd: repoRoot }), 'hack/images/build.sh operator');
  }, 900_000);

  it('is small, non-root, and starts the operator through tini', async () => {
    const [inspect] = JSON.parse(succeeded(await exec('docker', ['image', 'inspect', IMAGE]), 'docker image inspect'));
    expect(inspect.Config.User).toBe('65532:65532');
    expect(inspect.Config.Entrypoint).toEqual(['/usr/bin/tini', '--', 'node', '/app/operator/src/main.ts']);
    // Debian, Node and the operator's own packages; the runners' provider SDKs stay out.
    expect(inspect.Size).toBeLessThan(450 * 1024 * 1024);
    const listing = succeeded(await exec('docker', ['run', '--rm', '--entrypoint', 'ls', IMAGE, '/app/node_modules']), 'ls node_modules');
    expect(listing).toContain('@kubernetes');
    expect(listing).not.toMatch(/^(googleapis|openai|svelte|vitest|typescript)$/m);
    // Only the workspaces the operator imports (ADR 0009).
    const workspaces = succeeded(await exec('docker', ['run', '--rm', '--entrypoint', 'ls', IMAGE, '/app']), 'ls /app');
    expect(workspaces.trim().split('\n')).toEqual(['api', 'db', 'kube', 'node_modules', 'operator', 'package.json', 'store']);
  });

  it('prints its version', async () => {
    const result = await run(['--version']);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(result.code).toBe(0);
  });

  it('prints its help with every option the chart sets', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    const help = result.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/^Usage: acog-operator \[options\]/);
    for (const option of [
      '--runner-config <file>',
      '--nats-url <url>',
      '--s3-endpoint <url>',
      '--namespaces <list>',
      '--namespace <namespace>',
      '--http-address <host:port>',
      '--lease-name <name>',
      '--no-leader-elect',
      '--workers <n>',
      '--resync <seconds>',
      '--log-level <level>',
    ])
      expect(help).toContain(option);
    for (const variable of [
      'ACOG_RUNNER_CONFIG',
      'ACOG_NATS_URL',
      'ACOG_S3_ENDPOINT',
      'ACOG_WATCH_NAMESPACES',
      'ACOG_WATCH_NAMESPACE',
      'ACOG_HTTP_ADDRESS',
      'ACOG_LEASE_NAME',
      'POD_NAMESPACE',
      'POD_NAME',
    ])
      expect(help).toContain(`env: ${variable}`);
  });

  it('refuses to start without its runner configuration, naming it', async () => {
    const result = await run([]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--runner-config (or ACOG_RUNNER_CONFIG) is required');
  });
});
