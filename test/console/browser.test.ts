// The console in Debian's Chromium (playwright-core), with the real operator and the node harness
// running the real runners: sign in with a token, create an episode (form errors first), watch the
// stages advance live, approve the script, play the finished video. Screenshots of each page go to
// test-results/console/ for review.
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS, type Episode } from '@acog/api';
import { repoRoot } from '@acog/hack/paths';
import type { Gateway } from '@acog/console';
import { kubeConfig, s3Client, uniqueName } from '../support/env.ts';
import { NodeHarness } from '../support/node-harness.ts';
import { prepareNamespace, startOperatorProcess, type OperatorProcess } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { expectNoSeriousViolations } from './axe.ts';
import { makeTestVideo } from './media.ts';
import { eventually, startTestGateway, token } from './support.ts';

const shots = join(repoRoot, 'test-results', 'console');
const namespace = uniqueName('console-e2e');
const channel = 'explained';
let gateway: Gateway;
let operator: OperatorProcess;
let harness: NodeHarness;
let browser: Browser;
let page: Page;

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  await promisify(execFile)(join(repoRoot, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error'], {
    cwd: join(repoRoot, 'console'),
  });
  await prepareNamespace(namespace);
  await apply(namespace, await testChannel(channel));
  operator = await startOperatorProcess({ namespace });
  harness = new NodeHarness({ kubeConfig: kubeConfig(), namespace, mode: 'process', slots: 3 });
  await harness.start();
  gateway = await startTestGateway({ staticDir: join(repoRoot, 'console', 'build') });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await harness?.stop();
  await operator?.stop();
  await gateway?.stop();
});

describe('the console in Chromium', () => {
  it('signs in, refuses a bad form, creates an episode, shows its stages live, approves the script and plays the video', async () => {
    await page.goto(`${gateway.url}/episodes`);
    await page.waitForURL(/\/sign-in/);
    await page.getByLabel('Token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not accepted/);
    await shot('01-sign-in-error');
    await page.getByLabel('Token').fill(token('admin'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/episodes$/);
    await expect.poll(() => page.getByTestId('username').textContent()).toBe('acog-admin');
    await shot('02-episodes');

    await page.getByRole('link', { name: 'New episode' }).click();
    await page.waitForURL(/\/episodes\/new/);
    await page.getByLabel('Namespace').selectOption(namespace);
    await page.getByLabel('Name', { exact: true }).fill('Bad_Name');
    await page.getByLabel('Channel').selectOption(channel);
    await page.getByLabel('Target duration, seconds (optional)').fill('1');
    await expect.poll(() => page.locator('[data-field="name"]').textContent()).toMatch(/^metadata\.name: /);
    await expect.poll(() => page.locator('[data-field="topic"]').textContent()).toMatch(/^spec\.topic: /);
    await expect
      .poll(() => page.locator('[data-field="targetDurationSeconds"]').textContent())
      .toMatch(/spec\.overrides\.targetDurationSeconds: .*(greater|minimum|>=)/i);
    await shot('03-new-episode-errors');
    const name = 'indexes-live';
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Topic').fill('How database indexes really work');
    await page.getByLabel('Key points (one a line)').fill('A B-tree keeps keys sorted');
    await page.getByLabel('Target duration, seconds (optional)').fill('');
    await expect.poll(() => page.locator('.field-error').allTextContents()).toEqual(['', '', '', '', '', '']);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(new RegExp(`/episodes/${namespace}/${name}$`));

    // Live: the page is never reloaded from here on.
    const phaseOf = (stage: string) => page.locator(`[data-testid="dag-node"][data-stage="${stage}"]`).getAttribute('data-phase');
    await expect.poll(() => phaseOf('plan'), { timeout: 60_000 }).toMatch(/Running|Succeeded/);
    await shot('04-episode-running');
    await expect.poll(() => page.getByTestId('episode-phase').textContent(), { timeout: 120_000 }).toBe('AwaitingApproval');
    expect(await phaseOf('refine')).toBe('Succeeded');
    expect(await phaseOf('voice')).toBe('AwaitingApproval');
    // At a gate after the writer the script is shown for review, beat by beat, from the refined script.
    await expect.poll(() => page.locator('#field-spec-script-beats-0-narration').inputValue(), { timeout: 10_000 }).toMatch(/\w+/);
    await shot('05-awaiting-approval');
    await page.getByRole('button', { name: 'Approve voice', exact: true }).click();
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 10_000 }).toBe('approved (voice)');
    await expect.poll(() => phaseOf('voice'), { timeout: 60_000 }).toMatch(/Running|Succeeded/);
    await expect.poll(() => page.getByTestId('episode-phase').textContent(), { timeout: 240_000 }).toBe('Succeeded');
    expect(await phaseOf('assemble')).toBe('Succeeded');

    const video = page.getByTestId('video');
    await video.waitFor();
    const played = await video.evaluate(async (element: HTMLVideoElement) => {
      element.muted = true;
      await element.play();
      await new Promise((resolve) => setTimeout(resolve, 1200));
      element.currentTime = Math.max(0, element.duration - 1);
      await new Promise((resolve) => element.addEventListener('seeked', resolve, { once: true }));
      return { time: element.currentTime, duration: element.duration, error: element.error?.code ?? null, width: element.videoWidth };
    });
    expect(played.error).toBeNull();
    expect(played.duration).toBeGreaterThan(5);
    expect(played.time).toBeGreaterThan(played.duration - 2);
    expect(played.width).toBeGreaterThan(0);
    await shot('06-episode-succeeded');

    await page.getByRole('link', { name: channel }).first().click();
    await page.waitForURL(new RegExp(`/channels/${namespace}/${channel}$`));
    await expect.poll(() => page.getByTestId('readiness').textContent()).toMatch(/Ready/);
    await shot('07-channel');
    await page.getByRole('link', { name: 'Channels', exact: true }).first().click();
    await page.waitForURL(/\/channels$/);
    await shot('08-channels');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${gateway.url}/episodes?namespace=${namespace}`);
    await page.locator(`[data-testid="episode-row"][data-name="${name}"]`).waitFor();
    await shot('09-episodes-phone');
  }, 600_000);

  it('disables what the viewer may not do, saying why', async () => {
    const viewer = await browser.newPage();
    await viewer.goto(`${gateway.url}/sign-in`);
    await viewer.getByLabel('Token').fill(token('viewer'));
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    await viewer.waitForURL(/\/episodes$/);
    await viewer.goto(`${gateway.url}/episodes/new`);
    await viewer.getByLabel('Namespace').selectOption(namespace);
    await expect.poll(() => viewer.getByRole('button', { name: 'Create' }).isDisabled()).toBe(true);
    await expect.poll(() => viewer.locator('#create-reason').textContent()).toBe(`you may not create episodes in namespace ${namespace}`);
    await viewer.screenshot({ path: join(shots, '10-viewer-new-episode.png'), fullPage: true });
    await viewer.close();
  });
});

const SCHEDULE_TOPICS = ['How database indexes really work', 'Why your cache makes things slower', 'What a query planner sees'];

// The papercuts of issue #18, in a namespace no operator watches: the test writes the status.
describe('the console in Chromium: papercuts', () => {
  const ui = uniqueName('console-ui');
  let admin: Page;

  async function patchStatus(plural: 'channels' | 'episodes', name: string, status: Record<string, unknown>): Promise<void> {
    await kubeConfig()
      .makeApiClient(CustomObjectsApi)
      .patchNamespacedCustomObjectStatus(
        { group: 'acog.dev', version: 'v1alpha1', namespace: ui, plural, name, body: { status } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
  }
  const ready = (status: 'True' | 'False', reason: string, message: string) => ({
    conditions: [{ type: 'Ready', status, reason, message, lastTransitionTime: new Date().toISOString() }],
  });

  beforeAll(async () => {
    await prepareNamespace(ui);
    await apply(ui, await testChannel('ready-channel'));
    await apply(ui, await testChannel('broken-channel'));
    await patchStatus('channels', 'ready-channel', ready('True', 'Ready', 'every provider has its Secret'));
    await patchStatus('channels', 'broken-channel', ready('False', 'SecretMissing', 'Secret "broken-openai" not found'));
    await apply(
      ui,
      await testChannel('scheduled-channel', (c) => {
        c.spec.schedule = { cron: '0 9 * * mon-fri', timezone: 'Europe/Berlin', topics: SCHEDULE_TOPICS };
      }),
    );
    await patchStatus('channels', 'scheduled-channel', { schedule: { topicsUsed: [SCHEDULE_TOPICS[0]] } });
    const episode = (await apply(
      ui,
      await testEpisode('gated', 'ready-channel', (e) => (e.spec.approvalGates = ['voice'])),
    )) as unknown as Episode;
    const prefix = `${ui}/gated/${episode.metadata.uid}`;
    const put = (bucket: string, key: string, body: Buffer | string, type: string) =>
      s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: type }));
    await put(BUCKETS.assets, `${prefix}/assemble/1/video.mp4`, await readFile(await makeTestVideo()), 'video/mp4');
    await put(BUCKETS.assets, `${prefix}/assemble/1/captions.vtt`, 'WEBVTT\n\n00:00.000 --> 00:01.500\nThe captions\n', 'text/vtt');
    const metadata = {
      title: 'Gated',
      tags: ['indexes', 'databases'],
      chapters: [
        { title: 'Intro', startSeconds: 0 },
        { title: 'B-trees', startSeconds: 30 },
      ],
      thumbnail: { text: 'Indexes', style: { color: '#fff' } },
    };
    await put(BUCKETS.scripts, `${prefix}/metadata/1/metadata.json`, JSON.stringify(metadata), 'application/json');
    await patchStatus('episodes', 'gated', {
      phase: 'Succeeded',
      artifacts: {
        video: `s3://${BUCKETS.assets}/${prefix}/assemble/1/video.mp4`,
        captionsVtt: `s3://${BUCKETS.assets}/${prefix}/assemble/1/captions.vtt`,
        metadata: `s3://${BUCKETS.scripts}/${prefix}/metadata/1/metadata.json`,
      },
    });
    await eventually('the objects in the gateway', () => gateway.cache.episode(ui, 'gated')?.status?.artifacts?.video);
    await eventually('the channels in the gateway', () => gateway.cache.channel(ui, 'broken-channel')?.status?.conditions);
    admin = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await admin.goto(`${gateway.url}/sign-in`);
    await admin.getByLabel('Token').fill(token('admin'));
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.waitForURL(/\/episodes$/);
  }, 120_000);

  afterAll(async () => {
    await admin?.close();
  });

  it('draws the approval-gate mark as an SVG of its own, not a glyph the font may lack', async () => {
    await admin.goto(`${gateway.url}/episodes/${ui}/gated`);
    const voice = admin.locator('[data-testid="dag-node"][data-stage="voice"]');
    await voice.waitFor();
    const mark = await voice.locator('[data-testid="gate-mark"]').evaluate((element) => {
      const box = element.getBoundingClientRect();
      return {
        tag: element.tagName,
        ns: element.namespaceURI,
        width: box.width,
        height: box.height,
        painted: element.querySelectorAll('rect').length,
      };
    });
    expect(mark).toMatchObject({ tag: 'svg', ns: 'http://www.w3.org/2000/svg', painted: 2 });
    expect(mark.width).toBeGreaterThan(0);
    expect(mark.height).toBeGreaterThan(0);
    // The stage's label is its name alone: no character outside ASCII that a font could lack.
    expect(await voice.locator('text').first().textContent()).toBe('voice');
    expect(await admin.locator('[data-testid="dag-node"][data-stage="plan"] [data-testid="gate-mark"]').count()).toBe(0);
    await admin.screenshot({ path: join(shots, '11-gate-mark.png'), fullPage: true });
  });

  it('keeps the caption track off when the captions are burned into the picture', async () => {
    await admin.goto(`${gateway.url}/episodes/${ui}/gated`);
    const video = admin.getByTestId('video');
    await video.waitFor();
    const tracks = await video.evaluate(async (element: HTMLVideoElement) => {
      await new Promise((resolve) =>
        element.readyState >= 1 ? resolve(null) : element.addEventListener('loadedmetadata', resolve, { once: true }),
      );
      const track = element.querySelector('track')!;
      return { default: track.default, count: element.textTracks.length, mode: element.textTracks[0]?.mode, label: track.label };
    });
    expect(tracks.count).toBe(1);
    expect(tracks.default).toBe(false);
    expect(tracks.mode).not.toBe('showing');
    expect(tracks.label).toMatch(/drawn in the picture/);
    await expect.poll(() => admin.getByTestId('captions-note').textContent()).toMatch(/drawn into the picture/);
  });

  it('shows nested fields of the Channel and of the metadata as lists, never as raw JSON', async () => {
    await admin.goto(`${gateway.url}/channels/${ui}/ready-channel`);
    await expect.poll(() => admin.getByTestId('readiness').textContent()).toMatch(/Ready/);
    const format = admin.locator('section[aria-labelledby="format"]');
    await expect.poll(() => format.locator('dl dl dt', { hasText: 'burnIn' }).count()).toBe(1);
    expect(await admin.locator('main').innerText()).not.toContain('{"');
    await admin.screenshot({ path: join(shots, '12-channel-fields.png'), fullPage: true });

    await admin.goto(`${gateway.url}/episodes/${ui}/gated`);
    const metadata = admin.getByTestId('metadata');
    await metadata.waitFor();
    await expect.poll(() => metadata.locator('ul li dl dt', { hasText: 'startSeconds' }).count()).toBe(2);
    expect(await metadata.locator('dd', { hasText: 'B-trees' }).count()).toBeGreaterThan(0);
    expect(await admin.locator('main').innerText()).not.toContain('{"');
    await expectNoSeriousViolations(admin, 'a finished episode with its metadata and video');
  });

  it("shows the next runs of a Channel's schedule in its zone, each with the topic it would take", async () => {
    await eventually('the schedule status in the gateway', () => gateway.cache.channel(ui, 'scheduled-channel')?.status?.schedule);
    await admin.goto(`${gateway.url}/channels/${ui}/scheduled-channel`);
    const schedule = admin.getByTestId('schedule');
    await schedule.waitFor();
    expect(await schedule.locator('p').first().innerText()).toMatch(
      /0 9 \* \* mon-fri in Europe\/Berlin, concurrency Allow, 2 topics left/,
    );
    const rows = schedule.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(5);
    const cells = await rows.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td as HTMLElement).innerText)),
    );
    expect(cells.map((row) => row[1])).toEqual([
      SCHEDULE_TOPICS[1],
      SCHEDULE_TOPICS[2],
      'none left: add topics to spec.schedule.topics',
      'none left: add topics to spec.schedule.topics',
      'none left: add topics to spec.schedule.topics',
    ]);
    for (const [time, , episode] of cells) {
      expect(time).toMatch(/09:00 CES?T$/);
      expect(episode).toMatch(/^scheduled-channel-\d{8}-0[78]00$/);
    }
    const datetimes = await rows.locator('time').evaluateAll((times) => times.map((t) => t.getAttribute('datetime')!));
    for (const datetime of datetimes) expect(new Date(datetime).getTime()).toBeGreaterThan(Date.now());
    expect([...datetimes].sort()).toEqual(datetimes);
    await admin.screenshot({ path: join(shots, '14-channel-schedule.png'), fullPage: true });
  });

  it("offers the namespace's Channels in the new-episode form, each with its readiness", async () => {
    await admin.goto(`${gateway.url}/episodes/new`);
    await admin.getByLabel('Namespace').selectOption(ui);
    const select = admin.getByLabel('Channel');
    await expect.poll(() => select.evaluate((element) => element.tagName)).toBe('SELECT');
    await expect
      .poll(() => select.locator('option').allTextContents())
      // scheduled-channel (the schedule test's) has no Ready condition yet: the operator has not looked at it.
      .toEqual(['ready-channel — Ready', 'broken-channel — not ready: SecretMissing', 'scheduled-channel — not ready: Unknown']);
    expect(await select.inputValue()).toBe('ready-channel');
    expect(((await admin.getByTestId('channel-note').textContent()) ?? '').trim()).toBe('');
    // A Channel that is not ready may be chosen: the Episode waits for it, and the form says so.
    await select.selectOption('broken-channel');
    await expect
      .poll(() => admin.getByTestId('channel-note').textContent())
      .toMatch(/broken-channel is not ready.*Secret "broken-openai" not found/s);
    await admin.getByLabel('Name', { exact: true }).fill('from-the-form');
    await admin.getByLabel('Topic').fill('Chosen from the list');
    await expect.poll(() => admin.locator('[data-field="channel"]').textContent()).toBe('');
    await admin.screenshot({ path: join(shots, '13-new-episode-channels.png'), fullPage: true });
    await admin.getByRole('button', { name: 'Create' }).click();
    await admin.waitForURL(new RegExp(`/episodes/${ui}/from-the-form$`));
    expect(gateway.cache.episode(ui, 'from-the-form')?.spec.channelRef.name).toBe('broken-channel');
  });
});
