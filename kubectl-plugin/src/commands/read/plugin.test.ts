// The plugin as kubectl and krew see it: the launcher in kubectl-plugin/bin, and the krew manifest.
import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { localEnv } from '../../../../test/support/env.ts';
import { awaitingVoiceStatus, createChannel, createEpisode, freshNamespace, setEpisodeStatus } from '../../testing.ts';

const pluginDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const nodeDir = dirname(process.execPath);
let pathDir: string;

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(command, args, { env: { ...process.env, PATH: `${pathDir}:${nodeDir}:/usr/bin:/bin`, ...env } }, (error, stdout, stderr) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(() => {
  pathDir = mkdtempSync(join(tmpdir(), 'acog-kubectl-path-'));
  symlinkSync(join(pluginDir, 'bin', 'kubectl-acog'), join(pathDir, 'kubectl-acog'));
});

afterAll(() => rmSync(pathDir, { recursive: true, force: true }));

describe('krew manifest', () => {
  interface Manifest {
    apiVersion: string;
    kind: string;
    metadata: { name: string };
    spec: {
      version: string;
      homepage: string;
      shortDescription: string;
      description: string;
      platforms: Array<{
        selector: { matchExpressions: Array<{ key: string; operator: string; values: string[] }> };
        uri: string;
        sha256: string;
        files: Array<{ from: string; to: string }>;
        bin: string;
      }>;
    };
  }
  const manifest = parse(readFileSync(join(pluginDir, 'krew', 'acog.yaml'), 'utf8')) as Manifest;

  it('is a krew Plugin with the fields krew-index asks for', () => {
    expect(manifest.apiVersion).toBe('krew.googlecontainertools.github.com/v1alpha2');
    expect(manifest.kind).toBe('Plugin');
    expect(manifest.metadata.name).toBe('acog');
    const version = JSON.parse(readFileSync(join(pluginDir, 'package.json'), 'utf8')).version as string;
    expect(manifest.spec.version).toBe(`v${version}`);
    expect(manifest.spec.homepage).toMatch(/^https:\/\//);
    expect(manifest.spec.shortDescription.length).toBeLessThanOrEqual(50);
    expect(manifest.spec.description).toContain('kubectl acog');
    expect(manifest.spec.platforms.length).toBeGreaterThan(0);
  });

  it('names a bin the package has: the launcher in kubectl-plugin/bin', () => {
    for (const platform of manifest.spec.platforms) {
      expect(platform.uri).toMatch(new RegExp(`^https://.*kubectl-acog-${manifest.spec.version}\\.tar\\.gz$`));
      expect(platform.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(platform.selector.matchExpressions[0]).toMatchObject({ key: 'os', operator: 'In' });
      // package.sh puts the plugin folder in the archive as kubectl-acog/; files maps it to the install root.
      expect(platform.files).toEqual([{ from: 'kubectl-acog/*', to: '.' }]);
      const bin = join(pluginDir, platform.bin);
      expect(existsSync(bin), `${platform.bin} exists in kubectl-plugin/`).toBe(true);
      expect(() => accessSync(bin, constants.X_OK)).not.toThrow();
    }
  });
});

describe('the launcher', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await freshNamespace('read-plugin');
    await createChannel(ns);
    await createEpisode(ns, 'how-indexes-work');
    await setEpisodeStatus(ns, 'how-indexes-work', awaitingVoiceStatus(ns, 'how-indexes-work'));
  });

  it("runs as `kubectl acog` through kubectl's plugin mechanism", async () => {
    const { kubectl } = localEnv().binaries;
    const result = await run(kubectl, [
      'acog',
      'get',
      'episodes',
      '-n',
      ns,
      '--kubeconfig',
      localEnv().kubernetes.kubeconfig,
      '--context',
      'admin',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s{3,}/)).toEqual(['NAME', 'CHANNEL', 'PHASE', 'STAGE', 'PROGRESS', 'COST', 'AGE']);
    expect(lines[1]).toMatch(/^how-indexes-work\s+engineering-explained\s+AwaitingApproval\s+voice\s+████░░░░░ 4\/9\s+\$0\.42\s+\d+s$/);
    const list = await run(kubectl, ['plugin', 'list']);
    expect(list.stdout).toContain(join(pathDir, 'kubectl-acog'));
  });

  it('passes the exit code on', async () => {
    const result = await run(join(pathDir, 'kubectl-acog'), [
      'get',
      'ep',
      'nope',
      '-n',
      ns,
      '--kubeconfig',
      localEnv().kubernetes.kubeconfig,
    ]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `error: episode "nope" not found in namespace "${ns}"\n` });
    expect((await run(join(pathDir, 'kubectl-acog'), ['get', 'ep', '--bogus'])).code).toBe(2);
  });

  it('refuses a Node.js older than 22.19 with a clear message', async () => {
    const old = join(pathDir, 'old-node');
    writeFileSync(old, '#!/bin/sh\necho 22.18.0\n');
    chmodSync(old, 0o755);
    const result = await run(join(pathDir, 'kubectl-acog'), ['get', 'ep'], { ACOG_NODE: old });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `kubectl-acog needs Node.js 22.19 or later, and ${old} is 22.18.0: install a newer one from https://nodejs.org (or set ACOG_NODE to a node binary)\n`,
    );
    const missing = await run(join(pathDir, 'kubectl-acog'), ['get', 'ep'], { ACOG_NODE: 'no-such-node' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("kubectl-acog needs Node.js 22.19 or later, and there is no 'no-such-node' on the PATH");
  });
});
