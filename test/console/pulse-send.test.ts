// `kubectl acog pulse send` and docs/pulse.md's curl + openssl example against a real gateway taking
// pulse deliveries (its sources' secrets in a directory, as the chart mounts them) into a real
// PostgreSQL: sent straight to the gateway (--url) and through the API server's service proxy.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type Database } from '@acog/db';
import { repoRoot } from '@acog/hack/paths';
import type { Gateway } from '@acog/console';
import { acog } from '@acog/kubectl-plugin/testing';
import { uniqueName } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { pulseSecretsDir } from '../pulse/support.ts';
import { exposeConsoleService, machineAddress, removeConsoleService } from './console-service.ts';
import { startTestGateway } from './support.ts';

const systemNamespace = uniqueName('acog-sys');
const service = 'acog-console';
const secret = 'a-shared-secret-of-the-trends-source';
let gateway: Gateway;
let db: Database;
let dir: string;

const event = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `Trend ${id} makes the news`,
  url: `https://news.example/${id}`,
  score: 0.8,
  keywords: ['rust'],
  publishedAt: '2026-12-07T09:30:00Z',
  ...extra,
});

async function stored(source: string): Promise<string[]> {
  const result = await db.pool.query<{ id: string }>('SELECT id FROM pulse_events WHERE source = $1 ORDER BY id', [source]);
  return result.rows.map((row) => row.id);
}

beforeAll(async () => {
  const url = await createTestDatabase('pulse-send');
  db = openDatabase({ url });
  await migrate(db);
  dir = await mkdtemp(join(tmpdir(), 'pulse-send-'));
  await writeFile(join(dir, 'trends.secret'), `${secret}\n`);
  const address = machineAddress();
  gateway = await startTestGateway({
    databaseUrl: url,
    address: `${address}:0`,
    pulseSecretsDir: await pulseSecretsDir({ trends: secret }),
  });
  await exposeConsoleService(systemNamespace, service, address, Number(new URL(gateway.url).port), { discoverable: false });
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.close();
  await removeConsoleService(systemNamespace);
});

describe('kubectl acog pulse send', () => {
  it('signs and delivers a file to the gateway, in deliveries of 100; a replay is all duplicates', async () => {
    const file = join(dir, 'many.json');
    await writeFile(file, JSON.stringify(Array.from({ length: 130 }, (_, n) => event(`many-${String(n).padStart(3, '0')}`))));
    const sent = await acog(['pulse', 'send', '-f', file, '--source', 'trends', '--url', gateway.url], {
      env: { ACOG_PULSE_SECRET: secret },
    });
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toBe('130 events from trends sent in 2 deliveries: 130 accepted, 0 duplicates\n');
    expect((await stored('trends')).filter((id) => id.startsWith('many-'))).toHaveLength(130);

    const again = await acog(['pulse', 'send', '-f', file, '--source', 'trends', '--url', gateway.url, '-o', 'json'], {
      env: { ACOG_PULSE_SECRET: secret },
    });
    expect(JSON.parse(again.stdout)).toEqual({ source: 'trends', events: 130, deliveries: 2, accepted: 0, duplicates: 130 });
  });

  it("goes through the API server's service proxy for a user who may create on it", async () => {
    const file = join(dir, 'proxied.json');
    await writeFile(file, JSON.stringify(event('proxied-1')));
    const secretFile = join(dir, 'trends.secret');
    const sent = await acog(
      [
        'pulse',
        'send',
        '-f',
        file,
        '--source',
        'trends',
        '--secret-file',
        secretFile,
        '--console-service',
        `${systemNamespace}/${service}`,
      ],
      { user: 'admin' },
    );
    expect(sent.stderr).toBe('');
    expect(sent.stdout).toBe('1 event from trends sent in 1 delivery: 1 accepted, 0 duplicates\n');
    expect(await stored('trends')).toContain('proxied-1');
    // The editor may not create on the Service's proxy: told what it needs, and the other way.
    const refused = await acog(
      [
        'pulse',
        'send',
        '-f',
        file,
        '--source',
        'trends',
        '--secret-file',
        secretFile,
        '--console-service',
        `${systemNamespace}/${service}`,
      ],
      { user: 'editor' },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^error: forbidden: .*delivering through the API server needs create on services\/proxy of .*: ask an admin, or send straight to the gateway with --url$/m,
    );
  });

  it("reports the gateway's refusal of a wrong secret", async () => {
    const file = join(dir, 'forged.json');
    await writeFile(file, JSON.stringify(event('forged-1')));
    const refused = await acog(['pulse', 'send', '-f', file, '--source', 'trends', '--url', gateway.url], {
      env: { ACOG_PULSE_SECRET: 'not-the-secret' },
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: the gateway refused the delivery \(401\): /);
    expect(await stored('trends')).not.toContain('forged-1');
  });
});

describe("docs/pulse.md's curl + openssl example", () => {
  it('is accepted by the gateway as written, and a second send is a duplicate', async () => {
    const doc = await readFile(join(repoRoot, 'docs', 'pulse.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### Sending one with curl and openssl'));
    const script = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
    expect(script).toContain('GATEWAY=https://acog.example.com');
    const run = () =>
      promisify(execFile)(
        'bash',
        ['-euo', 'pipefail', '-c', script.replace('GATEWAY=https://acog.example.com', `GATEWAY=${gateway.url}`)],
        {
          cwd: dir,
        },
      );
    const first = await run();
    expect(JSON.parse(first.stdout)).toEqual({ accepted: 1, duplicates: 0 });
    expect(await stored('trends')).toContain('hn-4242');
    const second = await run();
    expect(JSON.parse(second.stdout)).toEqual({ accepted: 0, duplicates: 1 });
  });
});
