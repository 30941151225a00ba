// The console in Debian's Chromium (playwright-core), with the real operator and the node harness
// running the real runners: sign in with a token, create an episode (form errors first), watch the
// stages advance live, approve the script, play the finished video. Screenshots of each page go to
// test-results/console/ for review.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@acog/hack/paths';
import type { Gateway } from '@acog/console';
import { kubeConfig, uniqueName } from '../support/env.ts';
import { NodeHarness } from '../support/node-harness.ts';
import { prepareNamespace, startOperatorProcess, type OperatorProcess } from '../support/operator.ts';
import { apply, testChannel } from '../support/pipeline-objects.ts';
import { startTestGateway, token } from './support.ts';

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
    await page.getByLabel('Channel').fill(channel);
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
    await expect.poll(() => page.getByTestId('script').textContent(), { timeout: 10_000 }).toMatch(/\w+/);
    await shot('05-awaiting-approval');
    await page.getByRole('button', { name: 'Approve voice' }).click();
    await expect.poll(() => page.getByTestId('notice').textContent()).toBe('approved (voice)');
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
