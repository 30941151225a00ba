import { freePort } from '../../hack/local-env/process.ts';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/postgres.ts';
import { openDatabase } from './database.ts';
import { migrate, MIGRATIONS_TABLE } from './migrate.ts';

describe('migrate', () => {
  it('applies every migration once when two processes migrate at the same moment', async () => {
    const url = await createTestDatabase('migrate');
    const first = openDatabase({ url });
    const second = openDatabase({ url });
    try {
      const [a, b] = await Promise.all([migrate(first), migrate(second)]);
      // One of them applied everything under the lock; the other waited and found nothing to do.
      expect([a, b].map((names) => names.length).sort()).toEqual([0, a.length + b.length]);
      expect([...a, ...b]).toContain('0001_ledger');
      const { rows } = await first.pool.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY run_on, id`);
      expect(rows.map((row) => row.name)).toEqual([...a, ...b]);
      const tables = await first.pool.query<{ tablename: string }>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
      );
      expect(tables.rows.map((row) => row.tablename)).toEqual(expect.arrayContaining(['ledger', 'budget_reservations', MIGRATIONS_TABLE]));
      expect(await migrate(first)).toEqual([]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('fails with the server error when the database cannot be reached, and never crashes the process', async () => {
    const closed = await freePort();
    const db = openDatabase({ url: `postgres://acog:x@127.0.0.1:${closed}/acog`, connectionTimeoutMs: 1_000 });
    try {
      await expect(migrate(db)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await db.close();
    }
  });
});

describe('openDatabase', () => {
  it('refuses a URL that is not PostgreSQL, without echoing its password', () => {
    expect(() => openDatabase({ url: 'mysql://root:secret@db/acog' })).toThrow(
      'the database URL has the scheme "mysql": expected postgres://USER:PASSWORD@HOST:PORT/DATABASE',
    );
    expect(() => openDatabase({ url: 'not a url' })).toThrow(/the database URL is not a URL/);
    expect(() => openDatabase({ url: 'https://root:secret@db/acog' })).toThrow(/^(?!.*secret).*scheme "https"/);
  });

  it('a pool connects lazily', async () => {
    const db = openDatabase({ url: await createTestDatabase('lazy') });
    expect(db.pool.totalCount).toBe(0);
    const { rows } = await db.pool.query<{ one: number }>('SELECT 1 AS one');
    expect(rows[0].one).toBe(1);
    expect(db.pool.totalCount).toBe(1);
    await db.close();
  });
});
