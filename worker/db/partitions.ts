// Retention by partition: each rollup tier (host metrics, service signals, service custom series),
// the stored spans and the log lines are range-partitioned by day. Maintenance creates the partitions a write may need (back to the
// retention edge, two days ahead) and drops whole days once every row in them is past retention.
// Names are computed from a fixed table list and dates, never from input.
import { sql, type SQL } from 'drizzle-orm';
import { LOG_LIMITS } from '../../protocol/logs.ts';
import { TIERS } from '../../protocol/query.ts';
import { TRACE_SAMPLING } from '../../protocol/traces.ts';

export interface SqlExec {
  execute(query: SQL): Promise<{ rows: Record<string, unknown>[] }>;
}

export type RollupTier = '1m' | '5m';
const DAY = 86_400_000;

/** Every day-partitioned table and how long it keeps rows (a rollup tier's retention, or its own). */
export const PARTITIONED = {
  rollup_1m: '1m',
  rollup_5m: '5m',
  service_rollup_1m: '1m',
  service_rollup_5m: '5m',
  service_metric_1m: '1m',
  service_metric_5m: '5m',
  spans: { retentionMs: TRACE_SAMPLING.retentionMs },
  log_lines: { retentionMs: LOG_LIMITS.retentionMs },
} as const satisfies Record<string, RollupTier | { retentionMs: number }>;
export type PartitionedTable = keyof typeof PARTITIONED;
const TABLES = Object.keys(PARTITIONED) as PartitionedTable[];

export function retentionMs(table: PartitionedTable): number {
  const p: RollupTier | { retentionMs: number } = PARTITIONED[table];
  return typeof p === 'string' ? TIERS[p].retentionMs : p.retentionMs;
}

const dayStart = (t: number) => Math.floor(t / DAY) * DAY;
const ymd = (t: number) => new Date(t).toISOString().slice(0, 10);
export const partitionName = (table: PartitionedTable, day: number) => `${table}_p${ymd(day).replaceAll('-', '')}`;

export async function listPartitions(db: SqlExec, table: PartitionedTable): Promise<string[]> {
  const res = await db.execute(sql`
    SELECT c.relname AS name FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = ${table} ORDER BY c.relname`);
  return res.rows.map((r) => String(r.name));
}

/** Creates the partitions covering [now - retention, now + ahead days]. Safe to run concurrently. */
export async function ensurePartitions(db: SqlExec, now: number, aheadDays = 2): Promise<string[]> {
  const created: string[] = [];
  for (const table of TABLES) {
    const existing = new Set(await listPartitions(db, table));
    for (let day = dayStart(now - retentionMs(table)); day <= dayStart(now) + aheadDays * DAY; day += DAY) {
      const name = partitionName(table, day);
      if (existing.has(name)) continue;
      try {
        await db.execute(
          sql.raw(
            `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table} FOR VALUES FROM ('${ymd(day)}') TO ('${ymd(day + DAY)}')`,
          ),
        );
        created.push(name);
      } catch (err) {
        // Another process created it between our list and our create (42P07; drizzle wraps the
        // driver's error, so look at its cause too).
        const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
        const duplicate = (e.code ?? e.cause?.code) === '42P07' || /already exists/.test(`${e.message ?? err} ${e.cause?.message ?? ''}`);
        if (!duplicate) throw err;
      }
    }
  }
  return created;
}

/** Drops each day partition whose whole range is older than the tier's retention. */
export async function dropExpiredPartitions(db: SqlExec, now: number): Promise<string[]> {
  const dropped: string[] = [];
  for (const table of TABLES) {
    const edge = now - retentionMs(table);
    for (const name of await listPartitions(db, table)) {
      const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (!m) continue;
      const end = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + DAY;
      if (end <= edge) {
        await db.execute(sql.raw(`DROP TABLE IF EXISTS ${name}`));
        dropped.push(name);
      }
    }
  }
  return dropped;
}

export async function maintainPartitions(db: SqlExec, now: number) {
  const created = await ensurePartitions(db, now);
  const dropped = await dropExpiredPartitions(db, now);
  return { created, dropped };
}

/**
 * Runs a write into partitioned tables; a row with no partition (23514: the first write after a
 * long outage, before maintenance ran) creates the partitions and retries once.
 */
export async function executeWithPartitions(db: SqlExec, statement: SQL, now: number): Promise<void> {
  try {
    await db.execute(statement);
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } };
    if ((e.code ?? e.cause?.code) !== '23514') throw err;
    await ensurePartitions(db, now);
    await db.execute(statement);
  }
}
