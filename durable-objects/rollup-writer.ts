// Batched, idempotent rollup writes to Postgres: one multi-row upsert per tier per flush.
// A replayed flush recomputes the same buckets from the raw tier and writes the same values.
import { sql } from 'drizzle-orm';
import type { HostInfo } from '../protocol/ingest.ts';
import type { RollupRow } from './core/aggregate.ts';
import type { Db } from '../worker/db/client.ts';
import { ensurePartitions } from '../worker/db/partitions.ts';
import { hosts } from '../worker/db/schema.ts';

const CHUNK = 5000; // rows per statement, to bound one message's size

export interface FlushInput {
  tenantId: string;
  hostId: string;
  info: HostInfo | null;
  lastSeen: number | null;
  rows1m: RollupRow[];
  rows5m: RollupRow[];
}

export async function upsertHost(db: Db, tenantId: string, info: HostInfo, seen: number) {
  const t = new Date(seen);
  await db
    .insert(hosts)
    .values({ tenantId, id: info.id, name: info.name, os: info.os, agentVersion: info.agentVersion, firstSeen: t, lastSeen: t })
    .onConflictDoUpdate({
      target: [hosts.tenantId, hosts.id],
      set: {
        name: info.name,
        os: info.os,
        agentVersion: info.agentVersion,
        lastSeen: sql`greatest(${hosts.lastSeen}, excluded.last_seen)`,
      },
    });
}

const arr = (rows: RollupRow[], k: keyof RollupRow) => sql.param(rows.map((r) => r[k]));

/**
 * One statement per tier: the rows travel as eight arrays through unnest() instead of a
 * multi-row VALUES list with ten bound parameters per row.
 */
async function writeRows(db: Db, tier: '1m' | '5m', tenantId: string, hostId: string, rows: RollupRow[]) {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const part = rows.slice(i, i + CHUNK);
    const table = sql.raw(tier === '1m' ? 'rollup_1m' : 'rollup_5m');
    await db.execute(sql`
      INSERT INTO ${table} (tenant_id, host_id, metric, labels, bucket, count, sum, min, max, last)
      SELECT ${tenantId}, ${hostId}, u.metric, u.labels, to_timestamp(u.bucket / 1000.0), u.count, u.sum, u.min, u.max, u.last
      FROM unnest(${arr(part, 'metric')}::text[], ${arr(part, 'labels')}::text[], ${arr(part, 'bucket')}::float8[],
                  ${arr(part, 'count')}::int[], ${arr(part, 'sum')}::float8[], ${arr(part, 'min')}::float8[],
                  ${arr(part, 'max')}::float8[], ${arr(part, 'last')}::float8[])
           AS u(metric, labels, bucket, count, sum, min, max, last)
      ON CONFLICT (tenant_id, host_id, metric, bucket, labels) DO UPDATE
      SET count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max, last = excluded.last`);
  }
}

export async function writeFlush(db: Db, input: FlushInput, now: number): Promise<void> {
  const run = () =>
    db.transaction(async (tx) => {
      const d = tx as unknown as Db;
      await writeRows(d, '1m', input.tenantId, input.hostId, input.rows1m);
      await writeRows(d, '5m', input.tenantId, input.hostId, input.rows5m);
      if (input.info && input.lastSeen !== null) await upsertHost(d, input.tenantId, input.info, input.lastSeen);
    });
  try {
    await run();
  } catch (err) {
    // 23514: no partition for a row (e.g. the first write after a long outage). Create, retry once.
    const e = err as { code?: string; cause?: { code?: string } };
    if ((e.code ?? e.cause?.code) !== '23514') throw err;
    await ensurePartitions(db, now);
    await run();
  }
}
