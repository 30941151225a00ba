// @acog/db: ACOG's PostgreSQL database. `openDatabase` opens the pool, `migrate` brings the schema
// up to date under an advisory lock (docs/adr/0016-database-migrations.md). The ledger and budget
// reservations are `@acog/db/ledger` (its own entry point).
export { openDatabase, databaseUrlProblem, type Database, type DatabaseOptions } from './database.ts';
export { migrate, MIGRATIONS_DIR, MIGRATIONS_TABLE, type MigrateOptions } from './migrate.ts';
