// Batched, idempotent rollup writes to Postgres: one statement per flush.
// A replayed flush recomputes the same buckets from the raw tier and writes the same values.
import { sql } from 'drizzle-orm';
import type { HostInfo } from '../protocol/ingest.ts';
import type { RollupRow } from './core/aggregate.ts';
import type { Db } from '../worker/db/client.ts';
import { executeWithPartitions } from '../worker/db/partitions.ts';
import { hosts } from '../worker/db/schema.ts';

const arr = (rows: RollupRow[], k: keyof RollupRow) => sql.param(rows.map((r) => r[k]));

/**
 * Where a raw tier's rollups go: a host's metrics, or a service's custom series (the same
 * columns, owned by a service instead of a host). Table and column names are fixed here, never
 * taken from input.
 */
export const ROLLUP_TARGETS = {
  host: { '1m': 'rollup_1m', '5m': 'rollup_5m', owner: 'host_id' },
  service: { '1m': 'service_metric_1m', '5m': 'service_metric_5m', owner: 'service' },
} as const;
export type RollupTarget = keyof typeof ROLLUP_TARGETS;

/** An upsert of one tier's rows; they travel as eight arrays through unnest(). */
export function rollupInsert(target: RollupTarget, tier: '1m' | '5m', tenantId: string, owner: string, rows: RollupRow[]) {
  const t = ROLLUP_TARGETS[target];
  const table = sql.raw(t[tier]);
  const ownerColumn = sql.raw(t.owner);
  return sql`
    INSERT INTO ${table} (tenant_id, ${ownerColumn}, metric, labels, bucket, count, sum, min, max, last)
    SELECT ${tenantId}, ${owner}, u.metric, u.labels, to_timestamp(u.bucket / 1000.0), u.count, u.sum, u.min, u.max, u.last
    FROM unnest(${arr(rows, 'metric')}::text[], ${arr(rows, 'labels')}::text[], ${arr(rows, 'bucket')}::float8[],
                ${arr(rows, 'count')}::int[], ${arr(rows, 'sum')}::float8[], ${arr(rows, 'min')}::float8[],
                ${arr(rows, 'max')}::float8[], ${arr(rows, 'last')}::float8[])
         AS u(metric, labels, bucket, count, sum, min, max, last)
    ON CONFLICT (tenant_id, ${ownerColumn}, metric, bucket, labels) DO UPDATE
    SET count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max, last = excluded.last`;
}

export interface FlushInput {
  tenantId: string;
  hostId: string;
  info: HostInfo | null;
  lastSeen: number | null;
  rows1m: RollupRow[];
  rows5m: RollupRow[];
}

/** The host row upsert; awaited alone at registration, embedded in the flush statement. */
export interface HostRow {
  tenantId: string;
  info: HostInfo;
  seen: number;
}

/** Inserts or refreshes hosts (one statement for any number); last_seen never moves back. */
export function hostUpsert(db: Db, rows: readonly HostRow[]) {
  return db
    .insert(hosts)
    .values(rows.map(({ tenantId, info, seen }) => ({ tenantId, id: info.id, name: info.name, os: info.os, agentVersion: info.agentVersion, firstSeen: new Date(seen), lastSeen: new Date(seen) })))
    .onConflictDoUpdate({
      target: [hosts.tenantId, hosts.id],
      set: {
        name: sql`excluded.name`,
        os: sql`excluded.os`,
        agentVersion: sql`excluded.agent_version`,
        lastSeen: sql`greatest(${hosts.lastSeen}, excluded.last_seen)`,
      },
    });
}

/**
 * The whole flush as one statement (data-modifying CTEs): atomic like a transaction, but one
 * round trip instead of five, which matters when a fleet's objects flush every minute.
 */
export async function writeFlush(db: Db, input: FlushInput, now: number): Promise<void> {
  const parts = [];
  if (input.rows1m.length) parts.push(sql`r1 AS (${rollupInsert('host', '1m', input.tenantId, input.hostId, input.rows1m)})`);
  if (input.rows5m.length) parts.push(sql`r5 AS (${rollupInsert('host', '5m', input.tenantId, input.hostId, input.rows5m)})`);
  if (input.info && input.lastSeen !== null) parts.push(sql`h AS ${hostUpsert(db, [{ tenantId: input.tenantId, info: input.info, seen: input.lastSeen }])}`); // drizzle parenthesises it
  if (parts.length === 0) return;
  const statement = sql`WITH ${sql.join(parts, sql`, `)} SELECT 1`;
  await executeWithPartitions(db, statement, now);
}
