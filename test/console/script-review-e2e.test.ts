// Editing at the gate, end to end: the real operator and the node harness running the real runners,
// the console in Chromium. An Episode with its own script waits at the upload gate; a person changes
// one beat's narration in the script review and presses "Save and approve upload": only voice,
// avatar and assemble run again (and upload, now approved), the writer and B-roll are reused. Then
// a clip uploaded on the Episode page through the gateway's media route lands in spec.media, and
// once the Episode has run, is in its video and credited in its description.
// Needs the runners and operator to honour spec.script and spec.media, and the upload route (#17).
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_ANNOTATION_PREFIX, GROUP, VERSION, type Episode } from '@acog/api';
import { repoRoot } from '@acog/hack/paths';
import type { Gateway } from '@acog/console';
import { s3Store } from '../support/episode.ts';
import { kubeConfig, s3Client, uniqueName } from '../support/env.ts';
import { NodeHarness } from '../support/node-harness.ts';
import { prepareNamespace, startOperatorProcess, type OperatorProcess } from '../support/operator.ts';
import { apply, patchEpisode, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { expectNoSeriousViolations } from './axe.ts';
import { startTestGateway, token } from './support.ts';

const namespace = uniqueName('console-review');
const SCRIPT = {
  title: 'Indexes in twenty seconds',
  beats: [
    { heading: 'Lookups', narration: 'An index turns a slow scan of every row into a quick lookup of a few.' },
    { heading: 'Costs', narration: 'Every write pays for that speed a little, so index what you search.' },
  ],
};
let gateway: Gateway;
let operator: OperatorProcess;
let harness: NodeHarness;
let browser: Browser;
let page: Page;

const run = promisify(execFile);

/** A 2 s clip of one colour no part of a render draws (pure magenta), to find in the video. */
async function magentaClip(): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'acog-own-clip-')), 'clip.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=0xff00ff:size=320x180:rate=30:duration=2'],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', file],
  ]);
  return file;
}

/** How many frames (sampled 4 a second) show the clip's magenta in the top-left quarter, clear of captions and the presenter. */
async function magentaFrames(video: string): Promise<number> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      video,
      '-vf',
      'fps=4,crop=iw/2:ih/2:0:0,scale=8:4',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const frame = 8 * 4 * 3;
  let count = 0;
  for (let offset = 0; offset + frame <= stdout.length; offset += frame) {
    let magenta = 0;
    for (let p = offset; p < offset + frame; p += 3) if (stdout[p]! > 200 && stdout[p + 1]! < 60 && stdout[p + 2]! > 200) magenta++;
    if (magenta >= 24) count++;
  }
  return count;
}

const episode = async (name: string) =>
  (await kubeConfig()
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: 'episodes', name })) as Episode;
const jobNames = (e: Episode) => Object.fromEntries((e.status?.stages ?? []).map((stage) => [stage.name, stage.jobName]));

beforeAll(async () => {
  await promisify(execFile)(join(repoRoot, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error'], {
    cwd: join(repoRoot, 'console'),
  });
  await prepareNamespace(namespace);
  await apply(namespace, await testChannel('explained'));
  operator = await startOperatorProcess({ namespace });
  harness = new NodeHarness({ kubeConfig: kubeConfig(), namespace, mode: 'process', slots: 3 });
  await harness.start();
  gateway = await startTestGateway({ staticDir: join(repoRoot, 'console', 'build') });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${gateway.url}/sign-in`);
  await page.getByLabel('Token').fill(token('admin'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/episodes$/);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await harness?.stop();
  await operator?.stop();
  await gateway?.stop();
});

describe('the script review, end to end', () => {
  it('re-runs only voice, avatar and assemble (and the approved upload) after one beat is edited at the gate', async () => {
    await apply(
      namespace,
      await testEpisode('own-words', 'explained', (e) => {
        e.spec.approvalGates = ['upload'];
        e.spec.script = structuredClone(SCRIPT);
      }),
    );
    await page.goto(`${gateway.url}/episodes/${namespace}/own-words`);
    await expect.poll(() => page.getByTestId('episode-phase').textContent(), { timeout: 300_000, interval: 1000 }).toBe('AwaitingApproval');
    const before = jobNames(await episode('own-words'));
    for (const stage of ['plan', 'script', 'refine', 'metadata', 'voice', 'avatar', 'broll', 'assemble'])
      expect(before[stage]).toBeTruthy();

    const narration = page.locator('#field-spec-script-beats-1-narration');
    await expect.poll(() => narration.inputValue(), { timeout: 10_000 }).toBe(SCRIPT.beats[1]!.narration);
    await expectNoSeriousViolations(page, 'episode waiting at the upload gate');
    await narration.fill('Every write pays for that speed, so index only what you search for.');
    await page.getByRole('button', { name: 'Save and approve upload' }).click();
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 10_000 }).toBe('saved and approved (upload)');

    await expect.poll(() => page.getByTestId('episode-phase').textContent(), { timeout: 300_000, interval: 1000 }).toBe('Succeeded');
    const after = jobNames(await episode('own-words'));
    const ranAgain = Object.keys(after).filter((stage) => after[stage] !== before[stage]);
    expect(ranAgain.sort()).toEqual(['assemble', 'avatar', 'upload', 'voice']);
  }, 720_000);

  it('uploads a clip through the gateway into spec.media, and the run shows it in the video and credits it', async () => {
    await apply(namespace, await testEpisode('own-clip', 'explained', (e) => (e.spec.approvalGates = ['voice'])));
    await page.goto(`${gateway.url}/episodes/${namespace}/own-clip`);
    const form = page.getByTestId('own-media');
    await form.waitFor();
    const clip = await readFile(await magentaClip());
    await page.locator('#field-media-file').setInputFiles({ name: 'my clip.mp4', mimeType: 'video/mp4', buffer: clip });
    await page.locator('#field-media-beat').fill('1');
    await page.locator('#field-media-license').fill('own footage');
    await page.locator('#field-media-attribution').fill('Clip by the test');
    await page.getByRole('button', { name: 'Upload and add' }).click();
    // The form's error, if it shows one, is what a failure should print instead of an empty notice.
    const noticeOrError = async () => {
      const error = page.getByTestId('upload-error');
      return (await error.count()) ? `upload error: ${await error.textContent()}` : await page.getByTestId('notice').textContent();
    };
    await expect.poll(noticeOrError, { timeout: 30_000 }).toMatch(/^my clip\.mp4 added to beat 1/);
    const stored = await episode('own-clip');
    expect(stored.spec.media).toHaveLength(1);
    const item = stored.spec.media![0]!;
    expect(item).toMatchObject({ beat: 1, license: 'own footage', attribution: 'Clip by the test' });
    // Inside the episode's own prefix, and the bytes uploaded.
    const prefix = `s3://acog-assets/${namespace}/own-clip/${stored.metadata.uid}/`;
    expect(item.uri.startsWith(prefix)).toBe(true);
    const key = item.uri.slice('s3://acog-assets/'.length);
    const object = await s3Client().send(new GetObjectCommand({ Bucket: 'acog-assets', Key: key }));
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(clip)).toBe(true);
    await expect.poll(() => page.getByTestId('media-list').textContent()).toMatch(/Beat 1: .*— own footage; Clip by the test/);

    // Passed the voice gate, the Episode runs through: the B-roll stage takes the clip for beat 1, the
    // assembly shows it, and the description credits it.
    await patchEpisode(namespace, 'own-clip', {
      metadata: { annotations: { [`${APPROVAL_ANNOTATION_PREFIX}voice`]: new Date().toISOString() } },
    });
    await expect.poll(async () => (await episode('own-clip')).status?.phase, { timeout: 600_000, interval: 2000 }).toBe('Succeeded');
    const done = await episode('own-clip');
    const broll = done.status?.stages?.find((stage) => stage.name === 'broll');
    expect(broll?.message).toMatch(/own media: beat-1 \S+\.mp4 \(licence: own footage\)/);
    const dir = await mkdtemp(join(tmpdir(), 'acog-own-clip-run-'));
    const video = join(dir, 'video.mp4');
    await s3Store().getFile(done.status!.artifacts!.video!, video);
    // The clip lasts 2 s and fills its beat (looped): at least 2 s of magenta frames, sampled 4 a second.
    expect(await magentaFrames(video)).toBeGreaterThanOrEqual(8);
    // The folder publisher puts metadata.json (with the description) beside the video it published,
    // whose address the upload stage's publication.json gives.
    const publication = done.status?.stages
      ?.find((stage) => stage.name === 'upload')
      ?.artifacts?.find((uri) => uri.endsWith('/publication.json'));
    expect(publication).toBeDefined();
    await s3Store().getFile(publication!, join(dir, 'publication.json'));
    const { url } = JSON.parse(await readFile(join(dir, 'publication.json'), 'utf8')) as { url: string };
    const published = url.replace(/video\.mp4$/, 'metadata.json');
    expect(published).toMatch(/^(s3|file):\/\/.*\/metadata\.json$/);
    if (published!.startsWith('s3://')) await s3Store().getFile(published!, join(dir, 'metadata.json'));
    else await copyFile(fileURLToPath(published!), join(dir, 'metadata.json'));
    expect(await readFile(join(dir, 'metadata.json'), 'utf8')).toContain('Clip by the test');
  }, 720_000);
});
