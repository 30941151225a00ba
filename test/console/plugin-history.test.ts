// `kubectl acog history` and `kubectl acog spend` end to end: the plugin, as a local user, through
// the real API server's service proxy (a Service and Endpoints, as the chart's, pointing at this
// machine: console-service.ts), to a real gateway reading a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type Database } from '@acog/db';
import { archiveEpisodes, type ArchiveRecord } from '@acog/db/archive';
import { Ledger } from '@acog/db/ledger';
import type { Gateway } from '@acog/console';
import { acog } from '@acog/kubectl-plugin/testing';
import { uniqueName } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { exposeConsoleService, machineAddress, removeConsoleService } from './console-service.ts';
import { startTestGateway } from './support.ts';

const systemNamespace = uniqueName('acog-sys');
const service = 'acog-console';
const channel = uniqueName('plug');
const ns = 'team-a';
let gateway: Gateway;
let db: Database;

function record(n: number, overrides: Partial<ArchiveRecord> = {}): ArchiveRecord {
  const uid = `44444444-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    uid,
    namespace: ns,
    channel,
    name: `${channel}-${n}`,
    phase: 'Succeeded',
    topic: `Plugin episode ${n}`,
    labels: {},
    object: { metadata: { name: `${channel}-${n}`, uid }, spec: { channelRef: { name: channel }, topic: `Plugin episode ${n}` } },
    totalCostUSD: 1.25,
    resourceVersion: '3',
    finishedAt: new Date(Date.now() - n * 86_400_000).toISOString(),
    ...overrides,
  };
}

beforeAll(async () => {
  const url = await createTestDatabase('plugin-history');
  db = openDatabase({ url });
  await migrate(db);
  await archiveEpisodes(db.pool, [
    record(1, { labels: { tier: 'gold' }, videoUrl: 'https://www.youtube.com/watch?v=abc' }),
    record(2, { phase: 'Failed', topic: 'Why B-trees stay shallow' }),
    record(40, { topic: 'An episode from long ago' }),
  ]);
  const month = new Date().toISOString().slice(0, 7);
  await new Ledger(db).record([
    {
      namespace: ns,
      channel,
      episode: `${channel}-1`,
      episodeUid: record(1).uid,
      stage: 'voice',
      attempt: 1,
      outcome: 'Succeeded',
      provider: 'elevenlabs',
      usage: { characters: 1200 },
      costUSD: 1.25,
      finishedAt: new Date(),
      month,
    },
  ]);
  const address = machineAddress();
  gateway = await startTestGateway({ databaseUrl: url, address: `${address}:0` });
  const port = Number(new URL(gateway.url).port);

  await exposeConsoleService(systemNamespace, service, address, port);
});

afterAll(async () => {
  await gateway?.stop();
  await db?.close();
  await removeConsoleService(systemNamespace);
});

const via = ['--console-service', `${systemNamespace}/${service}`];

describe('kubectl acog history', () => {
  it('lists the archive through the API server as the user, with filters', async () => {
    const all = await acog(['history', '-n', ns, '--channel', channel, ...via], { user: 'editor' });
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+CHANNEL\s+PHASE\s+COST\s+FINISHED$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual([`${channel}-1`, `${channel}-2`, `${channel}-40`]);
    expect(lines[1]).toMatch(/Succeeded\s+\$1\.25\s+\d+[smh]$/);

    const recent = await acog(['history', '-n', ns, '--channel', channel, '--since', '30d', '--phase', 'Failed', ...via], {
      user: 'editor',
    });
    expect(
      recent.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual([`${channel}-2`]);

    const wide = await acog(['history', '-n', ns, '--channel', channel, '-l', 'tier=gold', '-o', 'wide', ...via], { user: 'editor' });
    expect(wide.stdout).toContain('https://www.youtube.com/watch?v=abc');
    expect(wide.stdout.trim().split('\n')).toHaveLength(2);

    const json = await acog(['history', '-n', ns, '--channel', channel, '--search', 'b-trees', '-o', 'json', ...via], { user: 'viewer' });
    const list = JSON.parse(json.stdout) as { kind: string; items: { name: string; phase: string }[] };
    expect(list.kind).toBe('List');
    expect(list.items).toEqual([expect.objectContaining({ name: `${channel}-2`, phase: 'Failed' })]);
  });

  it('finds the console Service by its label when the user may list Services', async () => {
    const found = await acog(['history', '-n', ns, '--channel', channel, '--limit', '1'], { user: 'admin' });
    expect(found.code).toBe(0);
    expect(found.stdout.trim().split('\n')).toHaveLength(2);
    expect(found.stderr).toMatch(/the first 1; --limit shows more/);
    // The editor may not list Services everywhere: told how to name it.
    const refused = await acog(['history', '-n', ns], { user: 'editor' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--console-service NAMESPACE\/NAME or ACOG_CONSOLE_SERVICE/);
  });

  it("refuses another namespace's history with the gateway's reason, and bad input with the parameter", async () => {
    const refused = await acog(['history', '-n', 'team-b', ...via], { user: 'editor' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: user "acog-editor" may not list episodes\.acog\.dev in namespace team-b/);
    const bad = await acog(['history', '-n', ns, '--since', 'last-week', ...via], { user: 'editor' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: since: "last-week" is neither a duration/);
  });
});

describe('kubectl acog spend', () => {
  it('shows the month per Channel against its budget, and per stage and provider', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const shown = await acog(['spend', '-n', ns, '--channel', channel, '--month', month, ...via], { user: 'editor' });
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toContain(`Spend in ${month}:`);
    expect(shown.stdout).toMatch(new RegExp(`${channel} \\(deleted\\)\\s+\\$1\\.25\\s+\\$0\\.00\\s+<none>`));
    expect(shown.stdout).toMatch(new RegExp(`${channel}\\s+voice\\s+elevenlabs\\s+1\\s+\\$1\\.25`));
    expect(shown.stdout).toContain(`Total ${month}: $1.25`);
    const yaml = await acog(['spend', '-n', ns, '--channel', channel, '--month', month, '-o', 'yaml', ...via], { user: 'editor' });
    expect(yaml.stdout).toMatch(/totalUSD: 1\.25/);
  });
});
