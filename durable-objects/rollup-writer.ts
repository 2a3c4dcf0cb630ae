// Batched, idempotent rollup writes to Postgres: one multi-row upsert per tier per flush.
// A replayed flush recomputes the same buckets from the raw tier and writes the same values.
import { sql } from 'drizzle-orm';
import type { HostInfo } from '../protocol/ingest.ts';
import type { RollupRow } from './core/aggregate.ts';
import type { Db } from '../worker/db/client.ts';
import { ensurePartitions } from '../worker/db/partitions.ts';
import { hosts, rollup1m, rollup5m } from '../worker/db/schema.ts';

const CHUNK = 2000; // 10 params a row; Postgres allows 65,535 per statement

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

async function writeRows(db: Db, table: typeof rollup1m | typeof rollup5m, tenantId: string, hostId: string, rows: RollupRow[]) {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const values = rows.slice(i, i + CHUNK).map((r) => ({ tenantId, hostId, ...r, bucket: new Date(r.bucket) }));
    await db
      .insert(table)
      .values(values)
      .onConflictDoUpdate({
        target: [table.tenantId, table.hostId, table.metric, table.bucket, table.labels],
        set: {
          count: sql`excluded.count`,
          sum: sql`excluded.sum`,
          min: sql`excluded.min`,
          max: sql`excluded.max`,
          last: sql`excluded.last`,
        },
      });
  }
}

export async function writeFlush(db: Db, input: FlushInput, now: number): Promise<void> {
  const run = () =>
    db.transaction(async (tx) => {
      const d = tx as unknown as Db;
      await writeRows(d, rollup1m, input.tenantId, input.hostId, input.rows1m);
      await writeRows(d, rollup5m, input.tenantId, input.hostId, input.rows5m);
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
