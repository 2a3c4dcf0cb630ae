// A service's custom series flush as one idempotent statement: 1 m and 5 m rows (recomputed from
// the raw tier, so a replay writes the same values) in the host rollups' shape, and the service's
// row (a service that sends only metrics stays listed with a current last_seen).
import { sql } from 'drizzle-orm';
import type { RollupRow } from '../core/aggregate.ts';
import { rollupInsert } from '../rollup-writer.ts';
import type { Db } from '../../worker/db/client.ts';
import { executeWithPartitions } from '../../worker/db/partitions.ts';
import { serviceUpsert } from './rollup-writer.ts';

export interface ServiceMetricsFlush {
  tenantId: string;
  service: string;
  lastSeen: number | null;
  hosts: string[];
  rows1m: RollupRow[];
  rows5m: RollupRow[];
}

export async function writeServiceMetricsFlush(db: Db, input: ServiceMetricsFlush, now: number): Promise<void> {
  const parts = [];
  if (input.rows1m.length) parts.push(sql`r1 AS (${rollupInsert('service', '1m', input.tenantId, input.service, input.rows1m)})`);
  if (input.rows5m.length) parts.push(sql`r5 AS (${rollupInsert('service', '5m', input.tenantId, input.service, input.rows5m)})`);
  if (parts.length === 0) return;
  if (input.lastSeen !== null) parts.push(sql`s AS (${serviceUpsert([{ tenantId: input.tenantId, service: input.service, seen: input.lastSeen, hosts: input.hosts }])})`);
  await executeWithPartitions(db, sql`WITH ${sql.join(parts, sql`, `)} SELECT 1`, now);
}
