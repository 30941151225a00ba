// The console's editors in Debian's Chromium (playwright-core) against the real gateway and API
// server: the Channel form generated from the schema (the API server's refusals beside the field,
// operated from the keyboard), a new Channel, an Episode's spec, the script review at a gate
// (refusal beside the narration, "Save and approve" from the keyboard), the own-media form's
// refusal, and axe-core on every page. No operator: the test writes the status it needs.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_ANNOTATION_PREFIX, GROUP, VERSION, type Channel, type Episode } from '@acog/api';
import { repoRoot } from '@acog/hack/paths';
import type { Gateway } from '@acog/console';
import { kubeConfig, uniqueName } from '../support/env.ts';
import { prepareNamespace } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { expectNoSeriousViolations } from './axe.ts';
import { eventually, startTestGateway, token } from './support.ts';

const shots = join(repoRoot, 'test-results', 'console');
const namespace = uniqueName('console-editor');
const SCRIPT = {
  title: 'Indexes, by hand',
  beats: [
    { heading: 'Lookups', narration: 'An index turns a scan into a lookup.', broll: 'a library card catalogue' },
    { heading: 'Costs', narration: 'Every write pays for it a little.' },
  ],
};
let gateway: Gateway;
let browser: Browser;
let page: Page;

const custom = () => kubeConfig().makeApiClient(CustomObjectsApi);
const stored = async <T>(plural: string, name: string) =>
  (await custom().getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name })) as T;

/** Presses Tab until the focused element matches the selector; fails if it never does. */
async function tabTo(target: Page, selector: string, limit = 600): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await target.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await target.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Replaces the text of the focused control by typing, as a person at a keyboard would. */
async function retype(target: Page, text: string): Promise<void> {
  await target.keyboard.press('ControlOrMeta+A');
  await target.keyboard.press('Backspace');
  if (text) await target.keyboard.type(text);
}

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  await promisify(execFile)(join(repoRoot, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error'], {
    cwd: join(repoRoot, 'console'),
  });
  await prepareNamespace(namespace);
  await apply(namespace, await testChannel('edited'));
  await apply(
    namespace,
    await testEpisode('reviewed', 'edited', (e) => {
      e.spec.approvalGates = ['voice'];
      e.spec.script = structuredClone(SCRIPT);
    }),
  );
  await custom().patchNamespacedCustomObjectStatus(
    {
      group: GROUP,
      version: VERSION,
      namespace,
      plural: 'episodes',
      name: 'reviewed',
      body: {
        status: {
          phase: 'AwaitingApproval',
          stages: [
            { name: 'plan', phase: 'Succeeded', attempt: 1 },
            { name: 'script', phase: 'Succeeded', attempt: 1 },
            { name: 'refine', phase: 'Succeeded', attempt: 1 },
            { name: 'metadata', phase: 'Succeeded', attempt: 1 },
            { name: 'voice', phase: 'AwaitingApproval' },
          ],
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  gateway = await startTestGateway({ staticDir: join(repoRoot, 'console', 'build') });
  await eventually(
    'the waiting episode in the gateway',
    () => gateway.cache.episode(namespace, 'reviewed')?.status?.phase === 'AwaitingApproval',
  );
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${gateway.url}/sign-in`);
  await page.getByLabel('Token').fill(token('admin'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/episodes$/);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
});

const fieldError = (path: string) => page.locator(`.field-error[data-path="${path}"]`);

describe('the Channel editor', () => {
  it("shows the API server's refusal beside the field it names, and saves, all from the keyboard", async () => {
    await page.goto(`${gateway.url}/channels/${namespace}/edited/edit`);
    // Generated from the schema: the enum is a select, the bounds are on the number input, the description is its help.
    const aspect = page.locator('#field-spec-format-aspectRatio');
    await aspect.waitFor();
    expect(await aspect.evaluate((element) => element.tagName)).toBe('SELECT');
    expect(await aspect.locator('option').allTextContents()).toEqual(['16:9', '9:16']);
    const target = page.locator('#field-spec-format-targetDurationSeconds');
    expect(await target.getAttribute('min')).toBe('15');
    expect(await target.getAttribute('max')).toBe('7200');
    expect(await page.locator('#field-spec-format-targetDurationSeconds-help').textContent()).toMatch(
      /Target length of an episode in seconds/,
    );

    await page.locator('body').click({ position: { x: 1, y: 1 } });
    await tabTo(page, '#field-spec-format-targetDurationSeconds');
    await retype(page, '5');
    await expect
      .poll(() => fieldError('spec.format.targetDurationSeconds').textContent(), { timeout: 10_000 })
      .toMatch(/should be greater than or equal to 15/);
    expect(await target.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('form-errors').textContent()).toMatch(/spec\.format\.targetDurationSeconds/);
    await page.screenshot({ path: join(shots, '20-channel-form-refusal.png'), fullPage: true });

    // A CEL rule of the CRD: a 9:16 channel makes Shorts of at most 180 s.
    await retype(page, '600');
    await tabTo(page, '#field-spec-format-aspectRatio');
    await page.keyboard.press('ArrowDown');
    expect(await aspect.inputValue()).toBe('9:16');
    await expect
      .poll(() => fieldError('spec.format.targetDurationSeconds').textContent(), { timeout: 10_000 })
      .toMatch(/9:16 channel makes YouTube Shorts/);

    await tabTo(page, '#field-spec-format-targetDurationSeconds');
    await retype(page, '60');
    await expect.poll(() => page.getByTestId('editor-status').textContent(), { timeout: 10_000 }).toMatch(/accepts it/);
    expect(await fieldError('spec.format.targetDurationSeconds').count()).toBe(0);
    await tabTo(page, 'button[type="submit"]');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/channels/${namespace}/edited$`));
    expect((await stored<Channel>('channels', 'edited')).spec.format).toMatchObject({ aspectRatio: '9:16', targetDurationSeconds: 60 });
  });

  it('keeps the namespace typed before the list of namespaces arrives', async () => {
    // The list answers late (a slow gateway): what the user typed meanwhile must not be replaced by the first namespace.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked = false;
    await page.route('**/api/v1/namespaces', async (route) => {
      asked = true;
      await held;
      await route.continue();
    });
    try {
      await page.goto(`${gateway.url}/channels/new`);
      await expect.poll(() => asked).toBe(true);
      await page.locator('#channel-namespace').fill('typed-first');
      release();
      await page.waitForResponse('**/api/v1/namespaces');
      await expect.poll(() => page.locator('#channel-namespace').inputValue()).toBe('typed-first');
      // The datalist got the namespaces all the same.
      await expect.poll(() => page.locator('#channel-namespaces option').count()).toBeGreaterThan(0);
    } finally {
      release();
      await page.unroute('**/api/v1/namespaces');
    }
  });

  it('creates a Channel from the generated form after the API server accepts it', async () => {
    await page.goto(`${gateway.url}/channels/new`);
    await page.locator('#channel-namespace').fill(namespace);
    await page.locator('#field-metadata-name').fill('from-the-form');
    await page.locator('#field-spec-persona-name').fill('Ada');
    await page.locator('#field-spec-persona-tone').fill('warm and precise');
    // Required and missing: the API server names it after the first check.
    await expect.poll(() => fieldError('spec.persona.audience').textContent(), { timeout: 10_000 }).toMatch(/Required/);
    await page.locator('#field-spec-persona-audience').fill('developers');
    await page.locator('#field-spec-format-targetDurationSeconds').fill('90');
    await expect.poll(() => fieldError('spec.format.aspectRatio').textContent(), { timeout: 10_000 }).toMatch(/Required/);
    await page.locator('#field-spec-format-aspectRatio').selectOption('16:9');
    await expect
      .poll(async () => `${await page.getByTestId('editor-status').textContent()}${await page.locator('.summary').allTextContents()}`, {
        timeout: 10_000,
      })
      .toMatch(/^The API server accepts it/);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(new RegExp(`/channels/${namespace}/from-the-form$`));
    const created = await stored<Channel>('channels', 'from-the-form');
    expect(created.spec.persona).toMatchObject({ name: 'Ada', tone: 'warm and precise', audience: 'developers' });
    expect(created.spec.format.targetDurationSeconds).toBe(90);
  });
});

describe('the Episode editor', () => {
  it("edits an Episode's spec with the same generated form", async () => {
    await page.goto(`${gateway.url}/episodes/${namespace}/reviewed/edit`);
    const topic = page.locator('#field-spec-topic');
    await topic.waitFor();
    await topic.fill('');
    await expect.poll(() => fieldError('spec.topic').textContent(), { timeout: 10_000 }).toMatch(/Required/);
    await topic.fill('Indexes, edited in the console');
    await expect.poll(() => page.getByTestId('editor-status').textContent(), { timeout: 10_000 }).toMatch(/accepts it/);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(new RegExp(`/episodes/${namespace}/reviewed$`));
    const episode = await stored<Episode>('episodes', 'reviewed');
    expect(episode.spec.topic).toBe('Indexes, edited in the console');
    expect(episode.spec.script).toEqual(SCRIPT);
  });
});

describe('the script review at a gate', () => {
  it('counts words against the target, refuses beside the narration, and saves and approves from the keyboard', async () => {
    await page.goto(`${gateway.url}/episodes/${namespace}/reviewed`);
    const review = page.getByTestId('script-review');
    await review.waitFor();
    const narration1 = page.locator('#field-spec-script-beats-0-narration');
    await narration1.waitFor();
    expect(await narration1.inputValue()).toBe(SCRIPT.beats[0]!.narration);
    // 8 + 7 words at the Channel's 150 words a minute: 6 s, against the Channel's target.
    const target = (await stored<Channel>('channels', 'edited')).spec.format.targetDurationSeconds;
    expect(await page.getByTestId('script-totals').textContent()).toBe(
      `15 words, about 6 s spoken against a target of ${target} s (${target - 6} s under)`,
    );

    await narration1.fill('   ');
    await page.getByRole('button', { name: 'Save script' }).click();
    await expect
      .poll(() => fieldError('spec.script.beats[0].narration').textContent(), { timeout: 10_000 })
      .toMatch(/narration must hold more than spaces/);
    expect((await stored<Episode>('episodes', 'reviewed')).spec.script).toEqual(SCRIPT);
    await page.screenshot({ path: join(shots, '21-script-review-refusal.png'), fullPage: true });

    await narration1.fill(SCRIPT.beats[0]!.narration);
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    await tabTo(page, '#field-spec-script-beats-1-narration');
    await retype(page, 'Every write pays for the index, a little, every time.');
    await expect.poll(() => page.getByTestId('script-totals').textContent()).toMatch(/^18 words/);
    await tabTo(page, '#field-spec-script-beats-1-broll');
    await page.keyboard.type('a stopwatch');
    await tabTo(page, 'button[data-approve="voice"]');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 10_000 }).toBe('saved and approved (voice)');
    const episode = await stored<Episode>('episodes', 'reviewed');
    expect(episode.spec.script?.beats[1]).toEqual({
      heading: 'Costs',
      narration: 'Every write pays for the index, a little, every time.',
      broll: 'a stopwatch',
    });
    expect(episode.metadata.annotations?.[`${APPROVAL_ANNOTATION_PREFIX}voice`]).toMatch(/^\d{4}-/);
    await page.screenshot({ path: join(shots, '22-script-review-saved.png'), fullPage: true });
  });

  it('disables the review for a viewer, saying why', async () => {
    const viewer = await browser.newPage();
    await viewer.goto(`${gateway.url}/sign-in`);
    await viewer.getByLabel('Token').fill(token('viewer'));
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    await viewer.waitForURL(/\/episodes$/);
    await viewer.goto(`${gateway.url}/episodes/${namespace}/reviewed`);
    const save = viewer.getByRole('button', { name: 'Save and approve voice' });
    await save.waitFor();
    await expect.poll(() => save.isDisabled()).toBe(true);
    expect(await viewer.getByTestId('script-review').textContent()).toContain(`you may not patch episodes in namespace ${namespace}`);
    await viewer.close();
  });
});

describe('own media', () => {
  it('asks for the licence before uploading, and shows why the gateway refused an upload', async () => {
    await page.goto(`${gateway.url}/episodes/${namespace}/reviewed`);
    const form = page.getByTestId('own-media');
    await form.waitFor();
    await page.getByRole('button', { name: 'Upload and add' }).click();
    await expect.poll(() => form.locator('[data-field="file"]').textContent()).toBe('choose a clip or an image');
    expect(await form.locator('[data-field="license"]').textContent()).toMatch(/licence/);
    // A file the gateway's upload route refuses (not a clip or an image): its reason is shown.
    await page.locator('#field-media-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a clip') });
    await page.locator('#field-media-license').fill('own footage');
    await page.getByRole('button', { name: 'Upload and add' }).click();
    await expect.poll(() => page.getByTestId('upload-error').textContent(), { timeout: 10_000 }).toMatch(/\w/);
    expect((await stored<Episode>('episodes', 'reviewed')).spec.media).toBeUndefined();
  });
});

describe('accessibility', () => {
  it('finds what axe calls serious or critical (the check itself can fail)', async () => {
    const bare = await browser.newPage();
    await bare.setContent('<html><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></body></html>');
    await expect(expectNoSeriousViolations(bare, 'a page without alt text or labels')).rejects.toThrow(
      /image-alt \(critical\)[\s\S]*label \(critical\)/,
    );
    await bare.close();
  });

  it('has no serious or critical axe violation on any page', async () => {
    const pages: [string, string, string][] = [
      ['episodes', '/episodes', '[data-testid="episode-row"]'],
      ['new episode', '/episodes/new', '#namespace'],
      ['episode at a gate', `/episodes/${namespace}/reviewed`, '[data-testid="script-review"] textarea'],
      ['episode editor', `/episodes/${namespace}/reviewed/edit`, '#field-spec-topic'],
      ['channels', '/channels', 'tbody tr'],
      ['channel', `/channels/${namespace}/edited`, '[data-testid="readiness"]'],
      ['channel editor', `/channels/${namespace}/edited/edit`, '#field-spec-persona-name'],
      ['new channel', '/channels/new', '#field-spec-persona-name'],
      ['history', '/history', 'h1'],
      ['spend', '/spend', 'h1'],
    ];
    for (const [what, path, ready] of pages) {
      await page.goto(`${gateway.url}${path}`);
      await page.locator(ready).first().waitFor();
      await expectNoSeriousViolations(page, what);
    }
    // A refusal on the form is as accessible as the form.
    await page.goto(`${gateway.url}/channels/${namespace}/edited/edit`);
    await page.locator('#field-spec-persona-name').fill('   ');
    await fieldError('spec.persona.name').waitFor({ timeout: 10_000 });
    await expectNoSeriousViolations(page, 'channel editor with a refusal');

    const signIn = await browser.newPage();
    await signIn.goto(`${gateway.url}/sign-in`);
    await signIn.getByLabel('Token').waitFor();
    await expectNoSeriousViolations(signIn, 'sign-in');
    await signIn.close();
  });
});
