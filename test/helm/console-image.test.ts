// The console image builds here (hack/images/build.sh, from the Debian base hack/ makes, no
// registry) with the tag the chart's defaults expect, and runs as the chart runs it: a non-root
// user, a read-only root filesystem, no capabilities. Pointed at the local control plane, it serves
// its health, its API and the built console.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { localEnv, uniqueName } from '../support/env.ts';
import { exec, repoRoot, succeeded } from './support.ts';

const IMAGE = 'acog/console:dev';

/** docker run as the chart's securityContext runs the container. */
const HARDENED = ['--read-only', '--user', '65532:65532', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];

function run(args: string[], env: Record<string, string> = {}) {
  const vars = Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
  return exec('docker', ['run', '--rm', ...HARDENED, ...vars, IMAGE, ...args]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe(`the console image ${IMAGE}`, () => {
  beforeAll(async () => {
    // Layers are cached: a second build costs seconds.
    succeeded(await exec('bash', ['hack/images/build.sh', 'console'], { cwd: repoRoot }), 'hack/images/build.sh console');
  }, 900_000);

  it('is small, non-root, and starts the gateway through tini, with the built console and only run-time packages', async () => {
    const [inspect] = JSON.parse(succeeded(await exec('docker', ['image', 'inspect', IMAGE]), 'docker image inspect'));
    expect(inspect.Config.User).toBe('65532:65532');
    expect(inspect.Config.Entrypoint).toEqual(['/usr/bin/tini', '--', 'node', '/app/console/src/main.ts']);
    expect(inspect.Size).toBeLessThan(450 * 1024 * 1024);
    const listing = succeeded(
      await exec('docker', ['run', '--rm', '--entrypoint', 'ls', IMAGE, '/app/node_modules', '/app/console/build']),
      'ls node_modules and the build',
    );
    expect(listing).toMatch(/^@hono$/m);
    expect(listing).toMatch(/^200\.html$/m);
    // The build tools of the web stage and the runners' provider SDKs stay out.
    expect(listing).not.toMatch(/^(vite|svelte|@sveltejs|playwright-core|googleapis|openai|vitest|typescript)$/m);
    // Only the workspaces the gateway imports (ADR 0009).
    const workspaces = succeeded(await exec('docker', ['run', '--rm', '--entrypoint', 'ls', IMAGE, '/app']), 'ls /app');
    expect(workspaces.trim().split('\n')).toEqual(['api', 'console', 'db', 'kube', 'node_modules', 'package.json', 'store']);
  });

  it('prints its help with every setting the chart sets', async () => {
    const result = await run(['--help']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^acog-console: the ACOG console and its gateway/);
    for (const variable of [
      'ACOG_CONSOLE_HTTP_ADDRESS',
      'ACOG_LOG_LEVEL',
      'ACOG_CONSOLE_SECURE_COOKIES',
      'ACOG_NATS_URL',
      'ACOG_HEYGEN_WEBHOOK',
      'ACOG_AUTH_PROXY_USER_HEADER',
      'ACOG_S3_ENDPOINT',
      '--no-artifacts',
    ])
      expect(result.stdout).toContain(variable);
  });

  it('refuses to start outside a cluster without a kubeconfig, naming the setting', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('acog-console: --kubeconfig (or KUBECONFIG) is required outside a Kubernetes Pod');
  });

  it('refuses the HeyGen webhook relay without NATS, naming the setting', async () => {
    const result = await run(['--kubeconfig', '/nonexistent'], { ACOG_HEYGEN_WEBHOOK: 'true' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('acog-console: --nats-url: required with --heygen-webhook');
  });

  describe('running against the local control plane', () => {
    let dir: string;
    let name: string;
    let url: string;

    beforeAll(async () => {
      const env = localEnv();
      dir = await mkdtemp(join(tmpdir(), 'acog-console-image-'));
      const kubeconfig = join(dir, 'kubeconfig');
      await writeFile(
        kubeconfig,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: 'local',
              cluster: {
                server: env.kubernetes.server,
                'certificate-authority-data': Buffer.from(env.kubernetes.caData).toString('base64'),
              },
            },
          ],
          users: [{ name: 'admin', user: { token: env.kubernetes.tokens.admin } }],
          contexts: [{ name: 'local', context: { cluster: 'local', user: 'admin' } }],
          'current-context': 'local',
        }),
      );
      // Readable by the image's user (uid 65532), who owns nothing here.
      await chmod(dir, 0o755);
      await chmod(kubeconfig, 0o644);
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      name = uniqueName('acog-console');
      succeeded(
        await exec('docker', [
          'run',
          '--detach',
          '--name',
          name,
          '--network',
          'host',
          ...HARDENED,
          '--volume',
          `${kubeconfig}:/etc/acog/kubeconfig:ro`,
          '-e',
          'KUBECONFIG=/etc/acog/kubeconfig',
          '-e',
          `ACOG_CONSOLE_HTTP_ADDRESS=127.0.0.1:${port}`,
          IMAGE,
          '--no-artifacts',
        ]),
        'docker run --detach',
      );
      const deadline = Date.now() + 60_000;
      for (;;) {
        const ready = await fetch(`${url}/readyz`).catch(() => undefined);
        if (ready?.status === 200) break;
        if (Date.now() > deadline) {
          const logs = await exec('docker', ['logs', name]);
          throw new Error(`the console did not become ready within 60 s: ${ready?.status}\n${logs.stdout}${logs.stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }, 120_000);

    afterAll(async () => {
      if (name) await exec('docker', ['rm', '--force', name]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('serves /healthz, and /readyz once its informers have synced', async () => {
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.text()).toBe('ok');
      const ready = await fetch(`${url}/readyz`);
      expect(await ready.text()).toBe('ok');
    });

    it('serves the built console, with its security headers, at / and at any page of the app', async () => {
      for (const path of ['/', '/episodes/studio/how-indexes-work']) {
        const page = await fetch(`${url}${path}`);
        expect(page.status, path).toBe(200);
        expect(page.headers.get('content-type'), path).toMatch(/^text\/html/);
        expect(page.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
        const html = await page.text();
        expect(html, path).toContain('<title>ACOG console</title>');
        expect(html, path).toMatch(/\/_app\/immutable\/entry\/start\.[\w-]+\.js/);
      }
      const script = /\/_app\/immutable\/entry\/start\.[\w-]+\.js/.exec(await (await fetch(url)).text())![0];
      const asset = await fetch(`${url}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/javascript/);
    });

    it('serves its API, refusing a request without credentials', async () => {
      const response = await fetch(`${url}/api/v1/episodes`);
      expect(response.status).toBe(401);
      const spec = await fetch(`${url}/openapi.json`);
      expect(spec.status).toBe(200);
      expect(((await spec.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    });

    it('stops cleanly on SIGTERM (docker stop), with exit code 0', async () => {
      const stopped = await exec('docker', ['stop', '--time', '20', name]);
      expect(stopped.code).toBe(0);
      const state = JSON.parse(succeeded(await exec('docker', ['inspect', name]), 'docker inspect'))[0].State;
      expect(state.ExitCode).toBe(0);
      expect(state.OOMKilled).toBe(false);
    });
  });
});
