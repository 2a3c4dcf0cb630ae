// The cron trigger's work: rollup partitions ahead of time, and retention by dropping them.
import { withDb } from './db/client.ts';
import { maintainPartitions } from './db/partitions.ts';

export async function runMaintenance(env: Env, now = Date.now()) {
  const result = await withDb(env, (db) => maintainPartitions(db, now));
  console.log(JSON.stringify({ msg: 'maintenance', ...result }));
  return result;
}
