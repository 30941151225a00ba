// `kubectl acog pulse ls` and `pulse send` end to end: the plugin, as a local user, through the real
// API server's service proxy (console-service.ts) to a real gateway reading a real PostgreSQL, whose
// pulse rows the test writes as the intake and the operator's matching would.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type Database } from '@acog/db';
import type { Gateway } from '@acog/console';
import { acog } from '@acog/kubectl-plugin/testing';
import { uniqueName } from '../support/env.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { insertPulseDecision, insertPulseEvent } from '../support/pulse-rows.ts';
import { patchStatus } from '../support/stage-state.ts';
import { exposeConsoleService, machineAddress, removeConsoleService } from './console-service.ts';
import { startTestGateway } from './support.ts';

const systemNamespace = uniqueName('acog-sys');
const service = 'acog-console';
const channel = uniqueName('pulse-ls');
const ns = 'team-a';
const episodeName = `${channel}-pulse-e1`;
let gateway: Gateway;
let db: Database;
let dir: string;

beforeAll(async () => {
  const url = await createTestDatabase('plugin-pulse');
  db = openDatabase({ url });
  await migrate(db);
  await apply(ns, await testChannel(channel));
  await apply(ns, await testEpisode(episodeName, channel, (e) => (e.spec.approvalGates = ['plan'])));
  await patchStatus(ns, 'episodes', episodeName, {
    phase: 'AwaitingApproval',
    currentStage: 'plan',
    stages: [{ name: 'plan', phase: 'AwaitingApproval' }],
  });
  for (const [id, title, score] of [
    ['e1', 'Rust 2.0 announced', 0.92],
    ['e2', 'Celebrity gossip of the day', 0.3],
  ] as const)
    await insertPulseEvent(db.pool, { source: 'trends', id, title, url: `https://news.example/${id}`, score, keywords: ['rust'] });
  await insertPulseDecision(db.pool, {
    source: 'trends',
    eventId: 'e1',
    namespace: ns,
    channel,
    outcome: 'created',
    reason: 'Created',
    message: `created Episode ${episodeName}, waiting at plan for approval`,
    episode: episodeName,
    decidedAt: new Date(Date.now() - 60_000).toISOString(),
  });
  await insertPulseDecision(db.pool, {
    source: 'trends',
    eventId: 'e2',
    namespace: ns,
    channel,
    outcome: 'skipped',
    reason: 'NoKeywordMatched',
    message: 'no keyword of the rule (rust, compilers) in the title, summary or keywords',
    decidedAt: new Date(Date.now() - 120_000).toISOString(),
  });
  const address = machineAddress();
  gateway = await startTestGateway({ databaseUrl: url, address: `${address}:0` });
  // Not discoverable by its label: plugin-history.test.ts's Service is, and the plugin would find two.
  await exposeConsoleService(systemNamespace, service, address, Number(new URL(gateway.url).port), { discoverable: false });
  dir = await mkdtemp(join(tmpdir(), 'plugin-pulse-'));
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.close();
  await removeConsoleService(systemNamespace);
});

const via = ['--console-service', `${systemNamespace}/${service}`];

describe('kubectl acog pulse ls', () => {
  it('lists the decisions of the namespace as the user: the Episode made and where it stands, or why none', async () => {
    const shown = await acog(['pulse', 'ls', '-n', ns, '--channel', channel, ...via], { user: 'editor' });
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    const lines = shown.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^EVENT\s+CHANNEL\s+SCORE\s+DECISION\s+EPISODE\s+AGE$/);
    expect(lines[1]).toMatch(
      new RegExp(`^trends/e1\\s+${channel}\\s+0\\.92\\s+Created \\(awaiting plan approval\\)\\s+${episodeName}\\s+\\d+[sm]$`),
    );
    expect(lines[2]).toMatch(new RegExp(`^trends/e2\\s+${channel}\\s+0\\.30\\s+NoKeywordMatched\\s+<none>\\s+\\d+[sm]$`));

    const wide = await acog(['pulse', 'ls', '-n', ns, '--channel', channel, '-o', 'wide', ...via], { user: 'viewer' });
    expect(wide.stdout).toMatch(/Celebrity gossip of the day\s+no keyword of the rule \(rust, compilers\)/);
    expect(wide.stdout).toContain('https://news.example/e2');

    const json = await acog(['pulse', 'ls', '-n', ns, '--channel', channel, '--limit', '1', '-o', 'json', ...via], { user: 'viewer' });
    const list = JSON.parse(json.stdout) as { kind: string; items: { id: string; episodeState: { waitingGates: string[] } }[] };
    expect(list.kind).toBe('List');
    expect(list.items).toEqual([expect.objectContaining({ id: 'e1', episodeState: expect.objectContaining({ waitingGates: ['plan'] }) })]);
  });

  it("says so when nothing was decided, and refuses another namespace's inbox with the gateway's reason", async () => {
    const empty = await acog(['pulse', 'ls', '-n', ns, '--channel', 'no-such-channel', ...via], { user: 'editor' });
    expect(empty.code).toBe(0);
    expect(empty.stderr).toMatch(/^No pulse decisions for Channel no-such-channel in team-a namespace/);
    const refused = await acog(['pulse', 'ls', '-n', 'team-b', ...via], { user: 'editor' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: user "acog-editor" may not list episodes\.acog\.dev in namespace team-b/);
    const all = await acog(['pulse', 'ls', '-A', ...via], { user: 'viewer' });
    expect(all.code).toBe(2);
    expect(all.stderr).toMatch(/pulse ls is per namespace: drop -A/);
  });
});

describe('kubectl acog pulse send: what is refused before anything is sent', () => {
  it('names the flag or the field, and sends nothing', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify([
        { id: 'x1', title: 'A fine title', url: 'https://a.example/', score: 2, keywords: [], publishedAt: '2026-12-07T09:30:00Z' },
      ]),
    );
    const bad = await acog(['pulse', 'send', '-f', file, '--source', 'trends', ...via], { env: { ACOG_PULSE_SECRET: 's3cret' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`error: ${file}: [0].score: required: a number from 0 to 1\n`);

    const good = join(dir, 'good.json');
    await writeFile(
      good,
      JSON.stringify({
        id: 'x2',
        title: 'A fine title',
        url: 'https://a.example/',
        score: 0.5,
        keywords: [],
        publishedAt: '2026-12-07T09:30:00Z',
      }),
    );
    const noSecret = await acog(['pulse', 'send', '-f', good, '--source', 'trends', ...via], { env: {} });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/--secret-file FILE or set ACOG_PULSE_SECRET/);
    const missingFile = await acog(['pulse', 'send', '-f', join(dir, 'none.json'), '--source', 'trends', '--secret-file', good], {});
    expect(missingFile.stderr).toMatch(/^error: -f: cannot read .*none\.json \(ENOENT\)/);
    const badSource = await acog(['pulse', 'send', '-f', good, '--source', 'no spaces'], { env: { ACOG_PULSE_SECRET: 'x' } });
    expect(badSource.code).toBe(2);
    expect(badSource.stderr).toMatch(/--source: "no spaces" is not a source name/);
    const noFile = await acog(['pulse', 'send', '--source', 'trends'], {});
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/required option '-f, --filename <file>' not specified/);
  });
});
