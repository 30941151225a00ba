import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, run, startProcess, waitUntil, type ManagedProcess } from '../process.ts';

export interface PostgresService {
  url: string;
  /** The running server (a new one after `restart`). */
  process: ManagedProcess;
  /** Starts the server again on the same data, port and password (after its process was stopped), once it accepts connections. */
  restart(): Promise<void>;
}

/** PostgreSQL refuses to run as root: as root, the data folder belongs to the postgres user and the server runs as it. */
async function asServerUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = await run('id', ['-u', 'postgres']).then(
    async (uid) => ({ uid: Number(uid.trim()), gid: Number((await run('id', ['-g', 'postgres'])).trim()) }),
    () => {
      throw new Error('running as root needs a postgres user to run PostgreSQL as: apt-get install postgresql');
    },
  );
  return ids;
}

export async function startPostgres(binDir: string, dir: string): Promise<PostgresService> {
  const dataDir = join(dir, 'postgres');
  const socketDir = join(dir, 'postgres-socket');
  const password = randomBytes(18).toString('base64url');
  const user = await asServerUser();
  await mkdir(dataDir, { recursive: true });
  await mkdir(socketDir, { recursive: true });
  const pwfile = join(dir, 'postgres-password');
  await writeFile(pwfile, password + '\n', { mode: 0o600 });
  if (user) {
    for (const path of [dataDir, socketDir, pwfile]) await chown(path, user.uid, user.gid);
    await chmod(dir, 0o755);
  }
  const spawnAs = user ? { uid: user.uid, gid: user.gid } : {};
  await run(
    join(binDir, 'initdb'),
    ['-D', dataDir, '-U', 'acog', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-sync'],
    {
      ...spawnAs,
      env: { ...process.env, LC_ALL: 'C.UTF-8' },
    },
  );
  const port = await freePort();
  const launch = () =>
    startProcess(
      'postgres',
      join(binDir, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-k',
        socketDir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ],
      join(dir, 'postgres.log'),
      spawnAs,
    );
  const url = `postgres://acog:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const accepting = (server: ManagedProcess) =>
    waitUntil(
      'postgres',
      async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query('select 1');
        await client.end();
        return true;
      },
      { process: server, timeoutMs: 30_000 },
    );
  const server = launch();
  await accepting(server);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query('create database acog');
  await admin.end();
  const service: PostgresService = {
    url: url.replace(/\/postgres$/, '/acog'),
    process: server,
    async restart() {
      await service.process.stop();
      service.process = launch();
      await accepting(service.process);
    },
  };
  return service;
}
