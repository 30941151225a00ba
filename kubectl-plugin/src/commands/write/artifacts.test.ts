import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS, stageKeyPrefix, type StageName } from '@acog/api';
import { localEnv, s3Client } from '../../../../test/support/env.ts';
import { acog, createChannel, createEpisode, freshNamespace, minimal, setEpisodeStatus, unscheduled } from '../../testing.ts';
import { humanSize, outsideOutput } from './artifacts.ts';

let ns: string;
let work: string;
const files = new Map<string, Buffer>();
let uri: (stage: StageName, file: string) => string;
let localClip: string;

async function put(stage: StageName, file: string, body: Buffer): Promise<string> {
  const target = uri(stage, file);
  const key = target.replace(/^s3:\/\/[^/]+\//, '');
  await s3Client().send(new PutObjectCommand({ Bucket: target.split('/')[2], Key: key, Body: body }));
  files.set(target, body);
  return target;
}

/** Files of a folder, recursively, relative to it. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

beforeAll(async () => {
  ns = await freshNamespace('wr-artifacts');
  await createChannel(ns, 'chan', unscheduled());
  const episode = await createEpisode(ns, 'ep', 'chan', minimal());
  const uid = episode.metadata.uid!;
  uri = (stage, file) => {
    const bucket = ['plan', 'script', 'refine', 'metadata'].includes(stage) ? BUCKETS.scripts : BUCKETS.assets;
    return `s3://${bucket}/${stageKeyPrefix({ namespace: ns, episode: 'ep', uid, stage, attempt: 1 })}${file}`;
  };
  work = await mkdtemp(join(tmpdir(), 'acog-artifacts-'));
  const plan = await put('plan', 'plan.json', Buffer.from('{"beats":[]}\n'));
  const narration = await put('voice', 'narration.wav', randomBytes(70_000));
  const words = await put('voice', 'words.json', Buffer.from('[]'));
  const video = await put('assemble', 'video.mp4', randomBytes(1_500_000));
  const thumbnail = await put('assemble', 'thumbnail.jpg', randomBytes(20_000));
  const srt = await put('assemble', 'captions/en.srt', Buffer.from('1\n00:00:00,000 --> 00:00:01,000\nHello\n'));
  localClip = join(work, 'rendered', 'clip 1.mp4');
  await mkdir(join(work, 'rendered'));
  const clip = randomBytes(4096);
  await writeFile(localClip, clip);
  files.set(pathToFileURL(localClip).href, clip);
  await setEpisodeStatus(ns, 'ep', {
    phase: 'Succeeded',
    stages: [
      { name: 'assemble', phase: 'Succeeded', attempt: 1, artifacts: [video, thumbnail, srt] },
      { name: 'plan', phase: 'Succeeded', attempt: 1, artifacts: [plan] },
      { name: 'voice', phase: 'Succeeded', attempt: 1, artifacts: [narration, words, uri('voice', 'lost.wav')] },
      { name: 'broll', phase: 'Succeeded', attempt: 1, artifacts: [pathToFileURL(localClip).href] },
    ],
    artifacts: { video, thumbnail, captionsSrt: srt },
  });
});

function rows(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/ {3,}/));
}

describe('artifacts ls', () => {
  it('lists final and stage artifacts with their sizes from S3', async () => {
    const result = await acog(['artifacts', 'ls', 'ep', '-n', ns]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(rows(result.stdout)).toEqual([
      ['STAGE', 'FILE', 'SIZE', 'URI'],
      ['final', 'video.mp4', humanSize(1_500_000), uri('assemble', 'video.mp4')],
      ['final', 'thumbnail.jpg', humanSize(20_000), uri('assemble', 'thumbnail.jpg')],
      ['final', 'captions/en.srt', humanSize(files.get(uri('assemble', 'captions/en.srt'))!.length), uri('assemble', 'captions/en.srt')],
      ['plan', 'plan.json', '13 B', uri('plan', 'plan.json')],
      ['voice', 'narration.wav', humanSize(70_000), uri('voice', 'narration.wav')],
      ['voice', 'words.json', '2 B', uri('voice', 'words.json')],
      ['voice', 'lost.wav', '<missing>', uri('voice', 'lost.wav')],
      ['broll', 'clip 1.mp4', '4.0 KiB', pathToFileURL(localClip).href],
      ['assemble', 'video.mp4', humanSize(1_500_000), uri('assemble', 'video.mp4')],
      ['assemble', 'thumbnail.jpg', humanSize(20_000), uri('assemble', 'thumbnail.jpg')],
      ['assemble', 'captions/en.srt', expect.any(String), uri('assemble', 'captions/en.srt')],
    ]);
  });

  it('lists one stage with --stage, and the bytes with -o json', async () => {
    const result = await acog(['artifacts', 'ls', 'ep', '--stage', 'voice', '-n', ns, '-o', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      episode: 'ep',
      namespace: ns,
      artifacts: [
        { stage: 'voice', file: 'narration.wav', uri: uri('voice', 'narration.wav'), size: 70_000, exists: true },
        { stage: 'voice', file: 'words.json', uri: uri('voice', 'words.json'), size: 2, exists: true },
        { stage: 'voice', file: 'lost.wav', uri: uri('voice', 'lost.wav'), exists: false },
      ],
    });
  });

  it('still lists when S3 cannot be reached, saying why the sizes are unknown', async () => {
    const result = await acog(['artifacts', 'ls', 'ep', '--stage', 'plan', '--s3-endpoint', 'http://127.0.0.1:1', '-n', ns]);
    expect(result.code).toBe(0);
    expect(rows(result.stdout)[1]).toEqual(['plan', 'plan.json', '<unknown>', uri('plan', 'plan.json')]);
    expect(result.stderr).toContain('warning: some sizes are unknown: cannot reach S3 at http://127.0.0.1:1 (ECONNREFUSED)');
  });

  it('says when there is nothing yet', async () => {
    await createEpisode(ns, 'ep-empty', 'chan', minimal());
    const result = await acog(['artifacts', 'ls', 'ep-empty', '-n', ns]);
    expect(result).toEqual({ code: 0, stdout: '', stderr: 'episode ep-empty has no artifacts yet (phase Pending)\n' });
  });
});

describe('artifacts get', () => {
  it('downloads the final artifacts through presigned URLs, byte for byte', async () => {
    const out = join(work, 'final');
    const result = await acog(['artifacts', 'get', 'ep', '-o', out, '-n', ns]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `${join(out, 'video.mp4')} (${humanSize(1_500_000)})`,
        `${join(out, 'thumbnail.jpg')} (${humanSize(20_000)})`,
        `${join(out, 'captions/en.srt')} (${humanSize(files.get(uri('assemble', 'captions/en.srt'))!.length)})`,
        '',
      ].join('\n'),
    );
    expect(await tree(out)).toEqual(['captions/en.srt', 'thumbnail.jpg', 'video.mp4']);
    expect(await readFile(join(out, 'video.mp4'))).toEqual(files.get(uri('assemble', 'video.mp4')));
    expect(await readFile(join(out, 'captions/en.srt'))).toEqual(files.get(uri('assemble', 'captions/en.srt')));
  });

  it('downloads one stage, one file, or everything', async () => {
    const plan = join(work, 'plan');
    expect((await acog(['artifacts', 'get', 'ep', '--stage', 'plan', '-o', plan, '-n', ns])).code).toBe(0);
    expect(await readFile(join(plan, 'plan.json'))).toEqual(files.get(uri('plan', 'plan.json')));

    const one = join(work, 'one');
    expect((await acog(['artifacts', 'get', 'ep', '--name', 'narration.wav', '-o', one, '-n', ns])).code).toBe(0);
    expect(await tree(one)).toEqual(['narration.wav']);
    expect(await readFile(join(one, 'narration.wav'))).toEqual(files.get(uri('voice', 'narration.wav')));

    // A local render's file:// artifact is copied.
    const clip = join(work, 'clip');
    expect((await acog(['artifacts', 'get', 'ep', '--stage', 'broll', '-o', clip, '-n', ns])).code).toBe(0);
    expect(await readFile(join(clip, 'clip 1.mp4'))).toEqual(files.get(pathToFileURL(localClip).href));

    const all = join(work, 'all');
    const result = await acog(['artifacts', 'get', 'ep', '--all', '-o', all, '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: ${uri('voice', 'lost.wav')} does not exist in S3`);
    expect(await tree(all)).toEqual([
      'assemble/captions/en.srt',
      'assemble/thumbnail.jpg',
      'assemble/video.mp4',
      'broll/clip 1.mp4',
      'captions/en.srt',
      'plan/plan.json',
      'thumbnail.jpg',
      'video.mp4',
      'voice/narration.wav',
      'voice/words.json',
    ]);
  });

  it('shows progress on a terminal', async () => {
    const out = join(work, 'tty');
    const result = await acog(['artifacts', 'get', 'ep', '--name', 'video', '-o', out, '-n', ns], { typed: '' });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('video.mp4');
    expect(result.stderr).toMatch(/\/ 1\.4 MiB {2}\d+%/);
    expect(await tree(out)).toEqual(['video.mp4']);
  });

  it('leaves no partial file when a download fails', async () => {
    const out = join(work, 'lost');
    const result = await acog(['artifacts', 'get', 'ep', '--name', 'lost.wav', '-o', out, '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: ${uri('voice', 'lost.wav')} does not exist in S3 (the status lists it, the bucket has it not)\n`);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });

  it('explains what is missing or wrong', async () => {
    const noFinal = await acog(['artifacts', 'get', 'ep-empty', '-n', ns]);
    expect(noFinal.code).toBe(1);
    expect(noFinal.stderr).toContain('episode ep-empty has no final artifacts yet (phase Pending): pass --stage <stage>');
    const noName = await acog(['artifacts', 'get', 'ep', '--stage', 'plan', '--name', 'script.json', '-n', ns]);
    expect(noName.stderr).toBe('error: episode ep has no artifact named script.json in the plan stage: it has plan.json\n');
    const badStage = await acog(['artifacts', 'ls', 'ep', '--stage', 'mixing', '-n', ns]);
    expect(badStage.code).toBe(1);
    expect(badStage.stderr).toContain('"mixing" is not a stage');
    const unknown = await acog(['artifacts', 'get', 'nope', '-n', ns]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`episode "nope" in namespace "${ns}" not found`);
    expect((await acog(['artifacts', 'get', 'ep', '--all', '--stage', 'plan', '-n', ns])).code).toBe(2);
    expect((await acog(['artifacts', 'ls', '-n', ns])).code).toBe(2);
    expect((await acog(['artifacts', 'ls', 'ep', '-o', 'table', '-n', ns])).code).toBe(2);
  });

  it('never prints the S3 credentials', async () => {
    const { secretAccessKey, accessKeyId } = localEnv().s3;
    const results = await Promise.all([
      acog(['artifacts', 'ls', 'ep', '-n', ns]),
      acog(['artifacts', 'get', 'ep', '--name', 'lost.wav', '-o', join(work, 'x'), '-n', ns]),
      acog(['artifacts', 'get', 'ep', '--stage', 'plan', '-o', join(work, 'y'), '-n', ns], { typed: '' }),
    ]);
    for (const result of results) {
      expect(result.stdout + result.stderr).not.toContain(secretAccessKey);
      expect(result.stdout + result.stderr).not.toContain(accessKeyId);
    }
  });
});

describe('artifacts get with hostile names', () => {
  let hostile: string;
  let key: (file: string) => string;
  beforeAll(async () => {
    hostile = join(work, 'hostile');
    await mkdir(join(hostile, 'rendered', 'voice', '1'), { recursive: true });
    const episode = await createEpisode(ns, 'ep-hostile', 'chan', minimal());
    key = (file) => `${ns}/ep-hostile/${episode.metadata.uid}/voice/1/${file}`;
    // A real object in MinIO beside a status URI whose name climbs out of the attempt folder.
    await s3Client().send(new PutObjectCommand({ Bucket: BUCKETS.assets, Key: key('narration.wav'), Body: Buffer.from('RIFF fine') }));
    await writeFile(join(hostile, 'planted.txt'), 'planted on disk');
    await setEpisodeStatus(ns, 'ep-hostile', {
      phase: 'Succeeded',
      stages: [
        {
          name: 'voice',
          phase: 'Succeeded',
          attempt: 1,
          artifacts: [
            `s3://${BUCKETS.assets}/${key('narration.wav')}`,
            // MinIO keeps no key with ".." in it; S3 does, and a status may list any URI.
            `s3://${BUCKETS.assets}/${key('../../../../../escaped.txt')}`,
            // A local render's file:// URI whose name climbs out: the source exists.
            `${pathToFileURL(join(hostile, 'rendered', 'voice', '1')).href}/../../../planted.txt`,
          ],
        },
      ],
    });
  });

  it('writes nothing outside the output folder and says which artifact it refused', async () => {
    const out = join(hostile, 'a', 'b', 'c', 'out');
    const result = await acog(['artifacts', 'get', 'ep-hostile', '--stage', 'voice', '-o', out, '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`${join(out, 'narration.wav')} (${humanSize(9)})\n`);
    expect(result.stderr).toBe(
      [
        `error: refusing s3://${BUCKETS.assets}/${key('../../../../../escaped.txt')}: its name "../../../../../escaped.txt" would be written outside ${out}; nothing was written for it`,
        `error: refusing ${pathToFileURL(join(hostile, 'rendered', 'voice', '1')).href}/../../../planted.txt: its name "../../../planted.txt" would be written outside ${out}; nothing was written for it`,
        '',
      ].join('\n'),
    );
    expect(await tree(out)).toEqual(['narration.wav']);
    expect(existsSync(resolve(out, '../../../../../escaped.txt'))).toBe(false);
    expect(existsSync(resolve(out, '../../../planted.txt'))).toBe(false);
    expect(await tree(hostile)).toEqual(['a/b/c/out/narration.wav', 'planted.txt']);
  });

  it('follows no symbolic link out of the output folder', async () => {
    const out = join(hostile, 'linked');
    const elsewhere = join(hostile, 'elsewhere');
    await mkdir(elsewhere);
    await mkdir(out);
    await symlink(elsewhere, join(out, 'voice'));
    const result = await acog(['artifacts', 'get', 'ep-hostile', '--all', '--name', 'narration.wav', '-o', out, '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`its name "narration.wav" would be written outside ${out} (through a symbolic link)`);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('tells inside from outside', () => {
    expect(outsideOutput('/out', '/out/video.mp4')).toBeUndefined();
    expect(outsideOutput('/out', '/out/voice/..x/a')).toBeUndefined();
    expect(outsideOutput('/out', '/out/../etc/passwd')).toMatch(/would be written outside \/out/);
    expect(outsideOutput('/out', '/outside/x')).toMatch(/outside/);
    expect(outsideOutput('/out', '/out')).toBe('names no file');
    expect(outsideOutput('/out', '/etc/passwd')).toMatch(/outside/);
  });
});
