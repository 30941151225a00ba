// `kubectl acog pulse send`: what it refuses before anything is sent, naming the flag or the field.
// (`pulse ls` is tested through the API server's aggregation layer in plugin-history.test.ts; a real
// delivery through the service proxy and with --url in pulse-send.test.ts.)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acog } from '@acog/kubectl-plugin/testing';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plugin-pulse-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
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
    const bad = await acog(['pulse', 'send', '-f', file, '--source', 'trends'], { env: { ACOG_PULSE_SECRET: 's3cret' } });
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
    const noSecret = await acog(['pulse', 'send', '-f', good, '--source', 'trends'], { env: {} });
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
