// `kubectl acog render`, the embedded default: the README's first command as written, reuse of
// finished stages, and re-running exactly the stages whose inputs changed.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { STAGES } from '@acog/api';
import { repoRoot } from '@acog/hack/paths';
import { expectYouTubeReadyVideo, vttCues } from '../support/media.ts';

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // No provider key from the caller's environment: the examples run offline, the others fail before any request.
    const env = { ...process.env, OPENAI_API_KEY: undefined, ELEVENLABS_API_KEY: undefined };
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const cli = join(repoRoot, 'kubectl-plugin', 'src', 'cli.ts');
const ALL_STAGES = [...STAGES].sort();
const render = (...args: string[]) => run(process.execPath, [cli, 'render', ...args]);

/** Stages that ran (not reused), from render's plain progress lines. */
function ranStages(stderr: string): string[] {
  return [...stderr.matchAll(/^(\w+): done in/gm)].map((m) => m[1]);
}

describe("the README's first command", () => {
  it('renders examples/ to out/ with a finished, YouTube-ready video, then reuses every stage', async () => {
    const first = await run('bash', ['hack/render-example.sh']);
    expect(first.stderr).not.toMatch(/^error:/m);
    expect(first.code).toBe(0);
    // hack/render-example.sh installs Piper: the narration is its, not espeak-ng's.
    expect(first.stderr).toMatch(/^voice: done in [\d.]+s, piper$/m);
    const folder = join(repoRoot, 'out', 'how-indexes-work');
    for (const file of ['video.mp4', 'thumbnail.jpg', 'captions.srt', 'captions.vtt', 'metadata.json'])
      expect(first.stdout).toContain(join(folder, file));

    const video = await expectYouTubeReadyVideo(join(folder, 'video.mp4'));
    expect(video.durationSeconds).toBeGreaterThan(50);
    expect(video.durationSeconds).toBeLessThan(80);
    const cues = vttCues(await readFile(join(folder, 'captions.vtt'), 'utf8'));
    expect(cues.at(-1)!.end).toBeLessThanOrEqual(video.durationSeconds);
    const metadata = JSON.parse(await readFile(join(folder, 'metadata.json'), 'utf8'));
    expect(metadata.title).toMatch(/index/i);

    const second = await run('bash', ['hack/render-example.sh']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/\(9 stages reused\)/);
    expect(ranStages(second.stderr)).toEqual([]);
  }, 600_000);
});

describe('render re-runs only what changed', () => {
  it('a changed caption style re-runs assemble (and upload), a changed brief everything from plan', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acog-render-'));
    const channel = parse(await readFile(join(repoRoot, 'examples', 'channel.yaml'), 'utf8'));
    const episode = parse(await readFile(join(repoRoot, 'examples', 'episode.yaml'), 'utf8'));
    episode.spec.overrides = { targetDurationSeconds: 30 };
    const write = async () => {
      await writeFile(join(dir, 'channel.yaml'), stringify(channel));
      await writeFile(join(dir, 'episode.yaml'), stringify(episode));
    };
    const out = join(dir, 'out');
    await write();
    const first = await render('-f', dir, '--out', out);
    expect(first.code).toBe(0);
    expect(ranStages(first.stderr).sort()).toEqual(ALL_STAGES);

    channel.spec.format.captions.style = 'minimal';
    await write();
    const captions = await render('-f', dir, '--out', out);
    expect(captions.code).toBe(0);
    expect(ranStages(captions.stderr)).toEqual(['assemble', 'upload']);

    episode.spec.brief = 'Start from a phone book: why finding a name is fast and finding a number is slow.';
    await write();
    const brief = await render('-f', dir, '--out', out);
    expect(brief.code).toBe(0);
    expect(ranStages(brief.stderr).sort()).toEqual(ALL_STAGES);
  }, 600_000);

  it('refuses bad manifests before any work, naming the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acog-render-bad-'));
    const episode = parse(await readFile(join(repoRoot, 'examples', 'episode.yaml'), 'utf8'));
    episode.spec.publish.privacy = 'friends';
    await writeFile(join(dir, 'episode.yaml'), stringify(episode));
    const result = await render(
      '-f',
      join(repoRoot, 'examples', 'channel.yaml'),
      '-f',
      join(dir, 'episode.yaml'),
      '--out',
      join(dir, 'out'),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: invalid manifests, nothing was rendered:\n${join(dir, 'episode.yaml')}: Episode how-indexes-work: spec.publish.privacy: Unsupported value: "friends"`,
    );
    expect(result.stderr).not.toMatch(/plan: running/);
  });

  it('refuses a language the offline writer has no text for before the first stage, naming the field and the languages it has', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acog-render-language-'));
    const channel = parse(await readFile(join(repoRoot, 'examples', 'channel.yaml'), 'utf8'));
    channel.spec.persona.language = 'ja';
    await writeFile(join(dir, 'channel.yaml'), stringify(channel));
    const result = await render(
      '-f',
      join(dir, 'channel.yaml'),
      '-f',
      join(repoRoot, 'examples', 'episode.yaml'),
      '--out',
      join(dir, 'out'),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error: Channel engineering-explained: persona.language: the offline writer has no text for "ja"; it writes en, de, es, fr, pt, it',
    );
    expect(result.stderr).toContain('nothing was rendered');
    expect(result.stderr).not.toMatch(/Rendering |plan: /);
  });

  it('stops cleanly on Ctrl-C and continues where it stopped on the next run', async () => {
    const out = await mkdtemp(join(tmpdir(), 'acog-render-int-'));
    const child = spawn(process.execPath, [cli, 'render', '-f', join(repoRoot, 'examples'), '--out', out], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (/avatar: running|broll: running/.test(stderr)) resolve();
      }),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/error: stopped\. Run the same command again to continue: finished stages are reused\./);
    const again = await render('-f', join(repoRoot, 'examples'), '--out', out, '--concurrency', '1');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^plan: reused/m);
  }, 600_000);

  it('warns about a model past its shutdown before any work', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acog-render-retired-'));
    const channel = parse(await readFile(join(repoRoot, 'examples', 'channel.yaml'), 'utf8'));
    channel.spec.providers.llm = { provider: 'openai', planModel: 'o4-mini', model: 'gpt-6-luna', secretRef: { name: 'openai' } };
    await writeFile(join(dir, 'channel.yaml'), stringify(channel));
    const result = await render(
      '-f',
      join(dir, 'channel.yaml'),
      '-f',
      join(repoRoot, 'examples', 'episode.yaml'),
      '--out',
      join(dir, 'out'),
    );
    expect(result.stderr).toContain(
      'warning: providers.llm.planModel: OpenAI shut o4-mini down on 2026-10-23; stages that use it fail: set providers.llm.planModel to gpt-5.6-terra\n',
    );
    // No key in this environment: plan stops there, after the warning.
    expect(result.code).toBe(1);
    expect(result.stderr.indexOf('warning: providers.llm.planModel')).toBeLessThan(result.stderr.indexOf('plan:'));
  }, 120_000);

  it('says which Channel is missing', async () => {
    const result = await render('-f', join(repoRoot, 'examples', 'episode.yaml'), '--out', join(tmpdir(), 'acog-unused'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /Episode how-indexes-work names Channel engineering-explained, which is not in the given files \(Channels found: none\): add it with -f channel.yaml/,
    );
  });
});
