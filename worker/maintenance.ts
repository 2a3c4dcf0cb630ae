// The cron trigger's work: rollup partitions ahead of time, retention by dropping them, and
// sign-up attempts whose link has expired.
import { lt, sql } from 'drizzle-orm';
import { withDb } from './db/client.ts';
import { maintainPartitions } from './db/partitions.ts';
import { signupAttempts } from './db/schema.ts';

export async function runMaintenance(env: Env, now = Date.now()) {
  const result = await withDb(env, async (db) => {
    const partitions = await maintainPartitions(db, now);
    // By the database's clock, not `now` (tests pass a future one): an expired attempt is of no
    // use, since the sign-up cooldown looks back only a minute.
    const gone = await db.delete(signupAttempts).where(lt(signupAttempts.expiresAt, sql`now()`)).returning({ t: signupAttempts.tokenHash });
    return { ...partitions, expiredSignups: gone.length };
  });
  console.log(JSON.stringify({ msg: 'maintenance', ...result }));
  return result;
}
