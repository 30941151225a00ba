import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { program } from '../../cli.ts';
import { localEnv } from '../../../../test/support/env.ts';
import { complete } from './completion.ts';
import { acog, Capture, createChannel, createEpisode, freshNamespace } from '../../testing.ts';

const binDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin');
let ns: string;
let kubeconfig: string;
let pathDir: string;

function words(...typed: string[]): Promise<{ candidates: string[]; directive: number }> {
  const stdout = new Capture();
  return complete(program({ stdout, stderr: stdout as unknown as NodeJS.WriteStream, env: {} }), typed, {});
}

function sh(command: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { env: { ...process.env, PATH: `${pathDir}:${dirname(process.execPath)}:${process.env.PATH}`, ...env } },
      (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  ns = await freshNamespace('read-completion');
  kubeconfig = localEnv().kubernetes.kubeconfig;
  await createChannel(ns);
  await createChannel(ns, 'shorts');
  await createEpisode(ns, 'how-indexes-work');
  await createEpisode(ns, 'how-caches-work');
  await createEpisode(ns, 'why-tests-flake');
  // kubectl finds plugins (and their completion executables) on the PATH.
  pathDir = mkdtempSync(join(tmpdir(), 'acog-plugin-path-'));
  symlinkSync(join(binDir, 'kubectl-acog'), join(pathDir, 'kubectl-acog'));
  symlinkSync(join(binDir, 'kubectl_complete-acog'), join(pathDir, 'kubectl_complete-acog'));
});

afterAll(() => rmSync(pathDir, { recursive: true, force: true }));

describe('__complete', () => {
  it('completes subcommands, without the hidden one', async () => {
    const { candidates, directive } = await words('');
    expect(candidates).toEqual(expect.arrayContaining(['completion', 'describe', 'get', 'logs', 'watch']));
    expect(candidates).not.toContain('__complete');
    expect(directive).toBe(4);
    expect((await words('de')).candidates).toEqual(['describe']);
  });

  it('completes types, flags and flag values', async () => {
    expect((await words('get', '')).candidates).toEqual(['channels', 'episodes']);
    expect((await words('get', '-o', '')).candidates).toEqual(['json', 'name', 'wide', 'yaml']);
    expect((await words('get', '--w')).candidates).toEqual(['--watch']);
    expect((await words('get', 'ep', '--')).candidates).toEqual(
      expect.arrayContaining(['--all-namespaces', '--namespace', '--output', '--selector', '--watch']),
    );
    expect((await words('logs', 'x', '--stage', 'v')).candidates).toEqual(['voice']);
    expect((await words('completion', '')).candidates).toEqual(['bash', 'zsh']);
    expect(await words('--kubeconfig', '')).toEqual({ candidates: [], directive: 0 });
  });

  it('completes contexts and namespaces from the kubeconfig and the cluster', async () => {
    // Every context the file names (the local env's token and client-certificate users), in order.
    const contexts = (parse(readFileSync(kubeconfig, 'utf8')) as { contexts: { name: string }[] }).contexts.map((c) => c.name);
    expect(contexts).toEqual(expect.arrayContaining(['admin', 'editor', 'viewer']));
    expect((await words('--kubeconfig', kubeconfig, '--context', '')).candidates).toEqual([...contexts].sort());
    expect((await words('--kubeconfig', kubeconfig, '-n', 'read-comp')).candidates).toContain(ns);
  });

  it('completes episode and channel names in the namespace the words name', async () => {
    const flags = ['--kubeconfig', kubeconfig, '--context', 'admin', '-n', ns];
    expect((await words('get', 'episodes', ...flags, '')).candidates).toEqual(['how-caches-work', 'how-indexes-work', 'why-tests-flake']);
    expect((await words(...flags, 'get', 'ep', 'how-')).candidates).toEqual(['how-caches-work', 'how-indexes-work']);
    expect((await words(...flags, 'get', 'ep', 'how-caches-work', '')).candidates).toEqual(['how-indexes-work', 'why-tests-flake']);
    expect((await words('describe', 'ch', ...flags, '')).candidates).toEqual(['engineering-explained', 'shorts']);
    expect((await words('watch', `--namespace=${ns}`, `--kubeconfig=${kubeconfig}`, 'w')).candidates).toEqual(['why-tests-flake']);
    expect((await words('logs', ...flags, 'why-tests-flake', '')).candidates).toEqual([]);
  });

  it('answers nothing when the cluster cannot be asked', async () => {
    expect(await words('get', 'ep', '--kubeconfig', '/nonexistent/kubeconfig', '')).toEqual({ candidates: [], directive: 4 });
  });

  it("prints cobra's format through the CLI", async () => {
    const result = await acog(['__complete', '--', 'get', 'episodes', '-n', ns, 'why']);
    expect(result).toEqual({ code: 0, stdout: 'why-tests-flake\n:4\n', stderr: '' });
  });
});

describe('completion scripts', () => {
  it('bash: completes kubectl-acog and, with kubectl completion loaded, kubectl acog', async () => {
    const script = (await acog(['completion', 'bash'])).stdout;
    const file = join(pathDir, 'acog.bash');
    writeFileSync(file, script);
    const probe = (line: string[]) => `
      __start_kubectl() { COMPREPLY=(kubectl-itself); }
      source ${JSON.stringify(file)}
      COMP_WORDS=(${line.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${line.length - 1}
      $(complete -p ${line[0]} | sed -E 's/.* -F ([^ ]+) .*/\\1/') ${line[0]}
      printf '%s\\n' "\${COMPREPLY[@]}"`;
    const direct = await sh('bash', ['-c', probe(['kubectl-acog', '--kubeconfig', kubeconfig, '-n', ns, 'get', 'ep', 'how'])]);
    expect(direct.stderr).toBe('');
    expect(direct.stdout).toBe('how-caches-work\nhow-indexes-work\n');
    const viaKubectl = await sh('bash', [
      '-c',
      probe(['kubectl', 'acog', '--kubeconfig', kubeconfig, '-n', ns, 'describe', 'channel', '']),
    ]);
    expect(viaKubectl.stdout).toBe('engineering-explained\nshorts\n');
    const commands = await sh('bash', ['-c', probe(['kubectl', 'acog', 'wa'])]);
    expect(commands.stdout).toBe('watch\n');
    const other = await sh('bash', ['-c', probe(['kubectl', 'get', 'po'])]);
    expect(other.stdout).toBe('kubectl-itself\n');
  });

  it('zsh: a script that registers for kubectl-acog and asks __complete', async () => {
    const script = (await acog(['completion', 'zsh'])).stdout;
    expect(script.startsWith('#compdef kubectl-acog\n')).toBe(true);
    expect(script).toContain('kubectl-acog __complete -- "$@"');
    expect(script).toContain('compdef _kubectl_acog kubectl-acog');
    expect(script).toContain('__kubectl_acog_complete "${(@)words[2,CURRENT]}"');
  });

  it('kubectl 1.26+ completes `kubectl acog` through kubectl_complete-acog', async () => {
    const result = await sh(localEnv().binaries.kubectl, [
      '__complete',
      'acog',
      'get',
      'episodes',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'admin',
      '-n',
      ns,
      'how-i',
    ]);
    expect(result.stdout.split('\n').filter((line) => line && !line.startsWith(':'))).toEqual(['how-indexes-work']);
    expect(result.stdout).toContain(':4\n');
  });

  it('exits 2 for a shell it does not know', async () => {
    expect((await acog(['completion', 'fish'])).code).toBe(2);
  });
});
