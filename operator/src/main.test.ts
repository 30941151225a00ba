// The operator's command line: a bad flag or environment value stops it at once, naming the flag.
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const MAIN = new URL('./main.ts', import.meta.url).pathname;

function operator(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('acog-operator', () => {
  it('prints its version and its help', () => {
    expect(operator(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const help = operator(['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--runner-config', '--nats-url', '--namespace', '--http-address', '--no-leader-elect', '--workers', '--log-level'])
      expect(help.stdout).toContain(flag);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('(env: ACOG_RUNNER_CONFIG)');
  });

  it('names a missing required setting', () => {
    const result = operator(['--nats-url', 'nats://x:4222']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--runner-config (or ACOG_RUNNER_CONFIG) is required');
  });

  it('refuses bad values, from flags and from the environment', () => {
    expect(operator(['--workers', 'lots']).stderr).toContain('--workers must be a whole number from 1, not "lots"');
    expect(operator([], { ACOG_WORKERS: '0' }).stderr).toContain('--workers must be a whole number from 1, not "0"');
    expect(operator(['--nats-url', 'http://nats:4222']).stderr).toContain('--nats-url must be a nats or tls URL');
    expect(operator(['--http-address', 'everywhere']).stderr).toContain('expected host:port');
    expect(operator(['--log-level', 'loud']).stderr).toMatch(/--log-level.*loud.*Allowed choices are fatal, error, warn, info/s);
    const leader = operator(['--runner-config', '/x', '--nats-url', 'nats://x:4222']);
    expect(leader.stderr).toContain('leader election needs --lease-namespace (or POD_NAMESPACE)');
    expect(operator(['--runner-config', '/x', '--nats-url', 'nats://x:4222'], { ACOG_LEADER_ELECT: 'maybe' }).stderr).toContain(
      'ACOG_LEADER_ELECT must be true or false',
    );
  });

  it('says what is wrong in the runner configuration file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'operator-cli-'));
    await writeFile(join(dir, 'runner.yaml'), 'image: acog/runner:dev\nstages:\n  voise: {}\n');
    const result = operator(['--runner-config', join(dir, 'runner.yaml'), '--nats-url', 'nats://x:4222', '--no-leader-elect']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('runner.yaml is invalid: stages.voise: unknown field');
  });
});
