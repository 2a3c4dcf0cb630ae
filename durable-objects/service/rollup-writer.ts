// A service's rollup flush as one idempotent statement: 1 m and 5 m rows (recomputed from the
// stored batches, so a replay writes the same values) and the service's row, via unnest arrays.
import { sql } from 'drizzle-orm';
import type { ServiceRollupRow } from '../core/service-rollup.ts';
import type { Db } from '../../worker/db/client.ts';
import { executeWithPartitions } from '../../worker/db/partitions.ts';

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function rollupInsert(tier: '1m' | '5m', tenantId: string, service: string, rows: ServiceRollupRow[]) {
  const table = sql.raw(tier === '1m' ? 'service_rollup_1m' : 'service_rollup_5m');
  const p = <T>(f: (r: ServiceRollupRow) => T) => sql.param(rows.map(f));
  return sql`
    INSERT INTO ${table} (tenant_id, service, route, bucket, requests, errors, sum_ms, min_ms, max_ms, sketch)
    SELECT ${tenantId}, ${service}, u.route, to_timestamp(u.bucket / 1000.0), u.requests, u.errors, u.sum_ms, u.min_ms, u.max_ms, decode(u.sketch, 'base64')
    FROM unnest(${p((r) => r.route)}::text[], ${p((r) => r.bucket)}::float8[], ${p((r) => r.requests)}::int8[], ${p((r) => r.errors)}::int8[],
                ${p((r) => r.sketch.sum)}::float8[], ${p((r) => (r.sketch.count ? r.sketch.min : 0))}::float8[],
                ${p((r) => (r.sketch.count ? r.sketch.max : 0))}::float8[], ${p((r) => base64(r.sketch.toBytes()))}::text[])
         AS u(route, bucket, requests, errors, sum_ms, min_ms, max_ms, sketch)
    ON CONFLICT (tenant_id, service, bucket, route) DO UPDATE
    SET requests = excluded.requests, errors = excluded.errors, sum_ms = excluded.sum_ms, min_ms = excluded.min_ms,
        max_ms = excluded.max_ms, sketch = excluded.sketch`;
}

export interface ServiceRow {
  tenantId: string;
  service: string;
  seen: number;
  hosts: string[];
}

/** Inserts or refreshes services (one statement); last_seen never moves back, hosts are replaced. */
export function serviceUpsert(rows: readonly ServiceRow[]) {
  const p = <T>(f: (r: ServiceRow) => T) => sql.param(rows.map(f));
  return sql`
    INSERT INTO services (tenant_id, name, first_seen, last_seen, hosts)
    SELECT u.tenant_id, u.name, to_timestamp(u.seen / 1000.0), to_timestamp(u.seen / 1000.0), u.hosts::jsonb
    FROM unnest(${p((r) => r.tenantId)}::text[], ${p((r) => r.service)}::text[], ${p((r) => r.seen)}::float8[], ${p((r) => JSON.stringify(r.hosts))}::text[])
         AS u(tenant_id, name, seen, hosts)
    ON CONFLICT (tenant_id, name) DO UPDATE
    SET last_seen = greatest(services.last_seen, excluded.last_seen), hosts = excluded.hosts`;
}

export interface ServiceFlush {
  tenantId: string;
  service: string;
  lastSeen: number | null;
  hosts: string[];
  rows1m: ServiceRollupRow[];
  rows5m: ServiceRollupRow[];
}

export async function writeServiceFlush(db: Db, input: ServiceFlush, now: number): Promise<void> {
  const parts = [];
  if (input.rows1m.length) parts.push(sql`r1 AS (${rollupInsert('1m', input.tenantId, input.service, input.rows1m)})`);
  if (input.rows5m.length) parts.push(sql`r5 AS (${rollupInsert('5m', input.tenantId, input.service, input.rows5m)})`);
  if (input.lastSeen !== null) parts.push(sql`s AS (${serviceUpsert([{ tenantId: input.tenantId, service: input.service, seen: input.lastSeen, hosts: input.hosts }])})`);
  if (parts.length === 0) return;
  const statement = sql`WITH ${sql.join(parts, sql`, `)} SELECT 1`;
  await executeWithPartitions(db, statement, now);
}
