// Applies migrations/ (drizzle-kit journal format) and creates the rollup partitions.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { ensurePartitions } from '../../worker/db/partitions.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function migrateDatabase(url: string, now = Date.now()): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const db = drizzle(client);
    await migrate(db, { migrationsFolder: path.join(root, 'migrations') });
    await ensurePartitions(db, now);
  } finally {
    await client.end();
  }
}
