// The console's History and Spend pages in Debian's Chromium (playwright-core), against the real
// gateway reading the real PostgreSQL: archived Episodes and ledger rows are stored with @acog/db's
// own functions, the archived video lies in the local MinIO. Search, filters, pages, the archived
// detail with and without its artifacts, the empty states, and the spend charts, whose bars are
// read back from the drawn canvas. Screenshots go to test-results/console/ for review.
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS, type Episode } from '@acog/api';
import { migrate, openDatabase, type Database } from '@acog/db';
import { archiveEpisodes, type ArchiveRecord } from '@acog/db/archive';
import { Ledger, type LedgerEntry } from '@acog/db/ledger';
import { repoRoot } from '@acog/hack/paths';
import type { Gateway } from '@acog/console';
import { s3Client, uniqueName } from '../support/env.ts';
import { prepareNamespace } from '../support/operator.ts';
import { apply, testChannel } from '../support/pipeline-objects.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { barsOnCanvas, type DrawnBar } from './canvas.ts';
import { makeTestVideo } from './media.ts';
import { startTestGateway, token } from './support.ts';

const shots = join(repoRoot, 'test-results', 'console');
const ns = uniqueName('history-ui');
const emptyNs = uniqueName('history-none');
let db: Database;
let gateway: Gateway;
let browser: Browser;
let page: Page;

const shot = (name: string, p: Page = page) => p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

/** An archived Episode as the operator stores it when one finishes. */
function archived(
  name: string,
  options: {
    channel?: string;
    phase?: 'Succeeded' | 'Failed' | 'Cancelled';
    topic: string;
    brief?: string;
    labels?: Record<string, string>;
    finishedAt: string;
    cost?: number;
    artifacts?: Record<string, string>;
    youtube?: { videoId: string; url: string };
  },
): ArchiveRecord {
  const uid = crypto.randomUUID();
  const channel = options.channel ?? 'science';
  const phase = options.phase ?? 'Succeeded';
  const episode: Episode = {
    apiVersion: 'acog.dev/v1alpha1',
    kind: 'Episode',
    metadata: {
      name,
      namespace: ns,
      uid,
      labels: options.labels ?? {},
      creationTimestamp: new Date(options.finishedAt),
      resourceVersion: '1',
    },
    spec: { channelRef: { name: channel }, topic: options.topic, brief: options.brief, keyPoints: ['A B-tree keeps keys sorted'] },
    status: {
      phase,
      finishedAt: options.finishedAt,
      totalCostUSD: options.cost ?? 0,
      message: phase === 'Failed' ? 'stage voice failed: the provider refused the key' : undefined,
      stages: [
        {
          name: 'plan',
          phase: 'Succeeded',
          attempt: 1,
          provider: 'openai',
          costUSD: 0.42,
          startedAt: options.finishedAt,
          finishedAt: options.finishedAt,
        },
        { name: 'voice', phase: phase === 'Failed' ? 'Failed' : 'Succeeded', attempt: 2, provider: 'elevenlabs', costUSD: 1.1 },
      ],
      artifacts: options.artifacts,
      youtube: options.youtube,
    },
  } as Episode;
  return {
    uid,
    namespace: ns,
    channel,
    name,
    phase,
    topic: options.topic,
    labels: options.labels ?? {},
    object: episode,
    totalCostUSD: options.cost ?? 0,
    videoId: options.youtube?.videoId,
    videoUrl: options.youtube?.url,
    resourceVersion: '1',
    createdAt: options.finishedAt,
    finishedAt: options.finishedAt,
  };
}

const day = (n: number) => new Date(Date.UTC(2026, 10, 1) + n * 86_400_000).toISOString();

// 52 old episodes about gardening (more than a page of 50), and three the tests look for.
const fillers = Array.from({ length: 52 }, (_, i) =>
  archived(`gardening-${String(i).padStart(2, '0')}`, { topic: `Gardening in winter, part ${i}`, finishedAt: day(i % 20), cost: 0.5 }),
);
// What paid stages cost, three months of two Channels, as the operator records finished attempts.
// In 2026-11: science 45 (plan 5, script 10 with openai; voice 20 with elevenlabs; broll 10 with
// runway), history 20 (plan 5 and voice 15 with openai).
let attempt = 0;
const spent = (channel: string, month: string, stage: string, provider: string, costUSD: number): LedgerEntry => ({
  namespace: ns,
  channel,
  episode: `${channel}-${month}`,
  episodeUid: `uid-${channel}-${month}`,
  stage,
  attempt: ++attempt,
  outcome: 'Succeeded',
  provider,
  usage: { characters: 1000 },
  costUSD,
  finishedAt: new Date(`${month}-15T12:00:00Z`),
  month,
});
const spending: LedgerEntry[] = [
  spent('science', '2026-09', 'plan', 'openai', 12),
  spent('science', '2026-10', 'voice', 'elevenlabs', 30),
  spent('history', '2026-10', 'plan', 'openai', 8),
  spent('science', '2026-11', 'plan', 'openai', 5),
  spent('science', '2026-11', 'script', 'openai', 10),
  spent('science', '2026-11', 'voice', 'elevenlabs', 20),
  spent('science', '2026-11', 'broll', 'runway', 7.5),
  spent('science', '2026-11', 'broll', 'runway', 2.5),
  spent('history', '2026-11', 'plan', 'openai', 5),
  spent('history', '2026-11', 'voice', 'openai', 15),
];
let indexes: ArchiveRecord;
let queues: ArchiveRecord;
let cancelled: ArchiveRecord;

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  await promisify(execFile)(join(repoRoot, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error'], {
    cwd: join(repoRoot, 'console'),
  });
  const url = await createTestDatabase('console_history');
  db = openDatabase({ url });
  await migrate(db);

  await prepareNamespace(ns);
  await prepareNamespace(emptyNs);
  await apply(ns, await testChannel('science', (c) => (c.spec.budget = { monthlyLimitUSD: 50 })));
  await apply(ns, await testChannel('history', (c) => delete c.spec.budget));
  await apply(emptyNs, await testChannel('quiet'));

  // One episode whose artifacts were kept: its video is in the bucket, where its status says.
  const kept = crypto.randomUUID();
  const prefix = `${ns}/indexes-explained/${kept}`;
  await s3Client().send(
    new PutObjectCommand({
      Bucket: BUCKETS.assets,
      Key: `${prefix}/assemble/1/video.mp4`,
      Body: await readFile(await makeTestVideo()),
      ContentType: 'video/mp4',
    }),
  );
  indexes = archived('indexes-explained', {
    topic: 'How database indexes really work',
    brief: 'B-trees, pages and why a lookup is fast',
    labels: { team: 'data' },
    finishedAt: day(25),
    cost: 3.25,
    artifacts: { video: `s3://${BUCKETS.assets}/${prefix}/assemble/1/video.mp4` },
    youtube: { videoId: 'dQw4w9WgXcQ', url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ' },
  });
  indexes.uid = kept;
  (indexes.object as Episode).metadata.uid = kept;
  // One whose artifacts were deleted with it: its status names a video the bucket no longer has.
  queues = archived('queues-failed', {
    phase: 'Failed',
    topic: 'Message queues and back-pressure',
    labels: { team: 'infra' },
    finishedAt: day(26),
    cost: 1.52,
    artifacts: { video: `s3://${BUCKETS.assets}/${ns}/queues-failed/gone/assemble/1/video.mp4` },
  });
  cancelled = archived('rust-cancelled', { channel: 'history', phase: 'Cancelled', topic: 'The history of Rust', finishedAt: day(27) });
  await archiveEpisodes(db.pool, [...fillers, indexes, queues, cancelled]);
  await new Ledger(db).record(spending);

  gateway = await startTestGateway({ staticDir: join(repoRoot, 'console', 'build'), databaseUrl: url });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  // Reduced motion: the charts are drawn at once, without animation.
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
  await page.goto(`${gateway.url}/sign-in`);
  await page.getByLabel('Token').fill(token('admin'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/episodes$/);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await db?.close();
});

const rows = () => page.getByTestId('history-row');
const rowNames = () => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name')));

describe('the History page in Chromium', () => {
  it('is reached from the navigation and lists the newest first, a page at a time', async () => {
    await page.getByRole('link', { name: 'History', exact: true }).click();
    await page.waitForURL(/\/history/);
    await page.getByLabel('Namespace').selectOption(ns);
    await expect
      .poll(() => rowNames().then((names) => names.slice(0, 3)))
      .toEqual(['rust-cancelled', 'queues-failed', 'indexes-explained']);
    expect(await rows().count()).toBe(50);
    expect(await page.getByTestId('history-count').textContent()).toBe('50+ finished episodes');
    await shot('20-history');
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows().count()).toBe(55);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    // Every episode once, in order of finishing, newest first.
    const names = await rowNames();
    expect(new Set(names).size).toBe(55);
    const finished = new Map([...fillers, indexes, queues, cancelled].map((r) => [r.name, r.finishedAt]));
    const times = names.map((name) => Date.parse(finished.get(name!)!));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('searches name, topic and brief, filters by phase, labels and channel, and keeps the filters in the address', async () => {
    await page.getByLabel('Search', { exact: true }).fill('indexes');
    await expect.poll(rowNames).toEqual(['indexes-explained']);
    expect(new URL(page.url()).searchParams.get('search')).toBe('indexes');
    await page.getByLabel('Search', { exact: true }).fill('lookup fast');
    await expect.poll(rowNames).toEqual(['indexes-explained']);
    await page.getByLabel('Search', { exact: true }).fill('');
    await page.getByLabel('Phase').selectOption('Failed');
    await expect.poll(rowNames).toEqual(['queues-failed']);
    await page.getByLabel('Phase').selectOption('');
    await page.getByLabel('Labels').fill('team=infra');
    await expect.poll(rowNames).toEqual(['queues-failed']);
    await page.getByLabel('Labels').fill('team in (data,infra)');
    await expect.poll(rowNames).toEqual(['queues-failed', 'indexes-explained']);
    await page.getByLabel('Labels').fill('');
    await page.getByLabel('Channel').fill('history');
    await expect.poll(rowNames).toEqual(['rust-cancelled']);
    await shot('21-history-filtered');

    // The address holds the filters: a reload shows the same view.
    expect(new URL(page.url()).searchParams.get('channel')).toBe('history');
    await page.reload();
    await expect.poll(rowNames).toEqual(['rust-cancelled']);
    expect(await page.getByLabel('Channel').inputValue()).toBe('history');

    // Nothing matches: say so, and offer the way back.
    await page.getByLabel('Search', { exact: true }).fill('volcanoes');
    await expect.poll(() => page.getByTestId('history-empty').textContent()).toMatch(/Nothing archived matches these filters/);
    await shot('22-history-no-match');
    await page.getByRole('button', { name: 'Clear the filters' }).click();
    await expect.poll(() => rows().count()).toBe(50);
    expect(await page.getByLabel('Channel').inputValue()).toBe('');
  });

  it('says a bad label selector is bad, naming the field', async () => {
    await page.getByLabel('Labels').fill('team in (data');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/labelSelector/);
    await page.getByLabel('Labels').fill('');
    await expect.poll(() => rows().count()).toBe(50);
  });

  it('shows an archived episode: its stages, cost, brief, and the video its artifacts kept', async () => {
    await page.getByRole('link', { name: 'indexes-explained' }).click();
    await page.waitForURL(new RegExp(`/history/${ns}/${indexes.uid}$`));
    await expect.poll(() => page.getByTestId('archived-phase').textContent()).toBe('Succeeded');
    expect(await page.getByTestId('archived-cost').textContent()).toBe('$3.25');
    expect(await page.getByTestId('archived-topic').textContent()).toBe('How database indexes really work');
    expect(await page.getByTestId('youtube').getAttribute('href')).toBe('https://www.youtube.com/watch?v=dQw4w9WgXcQ');
    expect(await page.getByTestId('archived-stage').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-stage')))).toEqual([
      'plan',
      'voice',
    ]);
    const video = page.getByTestId('archived-video');
    await video.waitFor();
    const played = await video.evaluate(async (element: HTMLVideoElement) => {
      element.muted = true;
      await element.play();
      await new Promise((resolve) => setTimeout(resolve, 500));
      return { time: element.currentTime, duration: element.duration, error: element.error?.code ?? null, width: element.videoWidth };
    });
    expect(played.error).toBeNull();
    expect(played.width).toBe(320);
    expect(played.duration).toBeGreaterThan(1.5);
    expect(played.time).toBeGreaterThan(0);
    await shot('23-history-episode');
  });

  it('says when the artifacts are gone, and why', async () => {
    await page.goto(`${gateway.url}/history/${ns}/${queues.uid}`);
    await expect.poll(() => page.getByTestId('archived-phase').textContent()).toBe('Failed');
    await expect.poll(() => page.getByTestId('artifacts-gone').textContent()).toMatch(/artifacts are gone/);
    expect(await page.getByTestId('archived-video').count()).toBe(0);
    await shot('24-history-artifacts-gone');
    await page.getByRole('link', { name: '← History' }).click();
    await page.waitForURL(new RegExp(`/history\\?namespace=${ns}$`));
    await expect.poll(() => rows().count()).toBe(50);
  });

  it('tells what to do next when nothing is archived yet', async () => {
    await page.goto(`${gateway.url}/history?namespace=${emptyNs}`);
    await expect
      .poll(() => page.getByTestId('history-empty').textContent())
      .toMatch(/Nothing archived yet in .*Episodes appear here when they finish/s);
    expect(await rows().count()).toBe(0);
    await shot('25-history-empty');
  });
});

describe('the Spend page in Chromium', () => {
  const tableRows = (testid: string) =>
    page
      .getByTestId(testid)
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => (cell.textContent ?? '').trim())));
  const colourOf = (testid: string, name: string) =>
    page
      .getByTestId(testid)
      .locator('.swatch')
      .evaluateAll(
        (swatches, name) =>
          swatches
            .filter((swatch) => (swatch.parentElement?.textContent ?? '').trim() === name)
            .map((swatch) => getComputedStyle(swatch).backgroundColor)[0],
        name,
      );
  const hex = (rgb: string) =>
    '#' +
    rgb
      .match(/\d+/g)!
      .slice(0, 3)
      .map((n) => Number(n).toString(16).padStart(2, '0'))
      .join('');

  /**
   * Each bar drawn against the amount it stands for (the n-th bar of a colour, left to right, for
   * the n-th amount of that colour): one scale for all bars, each within two pixels of it.
   */
  function expectDrawnToScale(bars: DrawnBar[], amounts: Map<string, number[]>) {
    expect(bars.map((bar) => bar.colour).sort()).toEqual([...amounts].flatMap(([colour, list]) => list.map(() => colour)).sort());
    const seen = new Map<string, number>();
    const pairs = bars.map((bar) => {
      const n = seen.get(bar.colour) ?? 0;
      seen.set(bar.colour, n + 1);
      return { height: bar.height, amount: amounts.get(bar.colour)![n]! };
    });
    const scale = pairs.reduce((sum, p) => sum + p.height, 0) / pairs.reduce((sum, p) => sum + p.amount, 0);
    expect(scale).toBeGreaterThan(2);
    for (const p of pairs) expect(Math.abs(p.height - p.amount * scale), `a bar of $${p.amount} is ${p.height}px`).toBeLessThanOrEqual(2);
  }

  it("shows each Channel's month against its limit, and charts per Channel per month and per stage and provider", async () => {
    await page.goto(`${gateway.url}/episodes`);
    await page.getByRole('link', { name: 'Spend', exact: true }).click();
    await page.waitForURL(/\/spend/);
    await page.getByLabel('Namespace').selectOption(ns);
    await page.getByLabel('Months shown').selectOption('3');
    await page.getByLabel('Month', { exact: true }).fill('2026-11');
    await expect.poll(() => page.getByTestId('month-total').textContent()).toBe('$65.00');
    expect(new URL(page.url()).searchParams.get('month')).toBe('2026-11');
    expect(await tableRows('channel-month')).toEqual([
      ['history', '$20.00', '$0.00', 'none', ''],
      ['science', '$45.00', '$0.00', '$50.00', '90%'],
    ]);
    expect(await page.getByTestId('table-monthly').locator('thead th').allTextContents()).toEqual([
      'Channel',
      '2026-09',
      '2026-10',
      '2026-11',
    ]);
    expect(await tableRows('table-monthly')).toEqual([
      ['history', '$0.00', '$8.00', '$20.00'],
      ['science', '$12.00', '$30.00', '$45.00'],
    ]);
    expect(await page.getByTestId('table-stages').locator('thead th').allTextContents()).toEqual([
      'Stage',
      'elevenlabs',
      'openai',
      'runway',
    ]);
    expect(await tableRows('table-stages')).toEqual([
      ['plan', '', '$10.00', ''],
      ['script', '', '$10.00', ''],
      ['voice', '$20.00', '$15.00', ''],
      ['broll', '', '', '$10.00'],
    ]);

    // What the canvases show: each series' bars in its colour, left to right, to one scale.
    await page.mouse.move(0, 0);
    const science = hex((await colourOf('table-monthly', 'science'))!);
    const history = hex((await colourOf('table-monthly', 'history'))!);
    expect(science).not.toBe(history);
    const monthly = () => barsOnCanvas(page, '[data-testid="chart-monthly"]', [science, history]);
    await expect.poll(async () => (await monthly()).length).toBe(5);
    expectDrawnToScale(
      await monthly(),
      new Map([
        [science, [12, 30, 45]],
        [history, [8, 20]],
      ]),
    );
    const [elevenlabs, openai, runway] = await Promise.all(
      ['elevenlabs', 'openai', 'runway'].map(async (provider) => hex((await colourOf('table-stages', provider))!)),
    );
    const stages = await barsOnCanvas(page, '[data-testid="chart-stages"]', [elevenlabs!, openai!, runway!]);
    expectDrawnToScale(
      stages,
      new Map([
        [elevenlabs!, [20]],
        [openai!, [10, 10, 15]],
        [runway!, [10]],
      ]),
    );
    // The voice stage's two providers are one stacked bar: openai's part stands on elevenlabs'.
    const voice = stages.find((bar) => bar.colour === elevenlabs)!;
    expect(stages.filter((bar) => bar.colour === openai && Math.abs(bar.x - voice.x) <= 1)).toHaveLength(1);
    await shot('30-spend');
  });

  it("narrows to one Channel, from the Channel's own page", async () => {
    await page.goto(`${gateway.url}/channels/${ns}/science`);
    await page.getByRole('link', { name: 'Spend by month and stage' }).click();
    await page.waitForURL(/\/spend\?/);
    await expect.poll(() => tableRows('channel-month')).toEqual([['science', expect.any(String), '$0.00', '$50.00', expect.any(String)]]);
    expect(await page.getByLabel('Channel', { exact: true }).inputValue()).toBe('science');
    await page.getByLabel('Month', { exact: true }).fill('2026-10');
    await expect.poll(() => page.getByTestId('month-total').textContent()).toBe('$30.00');
    expect(await tableRows('table-stages')).toEqual([['voice', '$30.00']]);
    await shot('31-spend-channel');
    // On a phone the charts shrink to the screen (tables scroll within their own box).
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('33-spend-phone');
    await page.goto(`${gateway.url}/history?namespace=${ns}`);
    await expect.poll(() => rows().count()).toBe(50);
    await shot('26-history-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('tells what to do next when nothing was spent', async () => {
    await page.goto(`${gateway.url}/spend?namespace=${emptyNs}`);
    await expect
      .poll(() => page.getByTestId('spend-empty').textContent())
      .toMatch(/No spend recorded .*paid stages .*record their cost here/s);
    expect(await page.getByTestId('chart-monthly').count()).toBe(0);
    expect(await tableRows('channel-month')).toEqual([['quiet', '$0.00', '$0.00', '$50.00', '0%']]);
    await shot('32-spend-empty');
  });
});
