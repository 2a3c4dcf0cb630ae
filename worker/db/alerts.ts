// Postgres access for alerting: default rules, the per-tenant alert config (rules, channels,
// silences, SLOs) that host and service objects cache, its version, and alert history written
// by the objects.
import { and, eq, gt, sql } from 'drizzle-orm';
import { DEFAULT_RULES, type Rule, type Silence } from '../../durable-objects/core/rules.ts';
import type { Slo } from '../../durable-objects/core/slo.ts';
import { newId } from '../auth/crypto.ts';
import type { Channel } from '../notify/channels.ts';
import { alertChannels, alertConfigVersions, alertHistory, alertRules, silences, slos } from './alerts-schema.ts';
import type { AnyPg } from './tenants.ts';

export interface AlertConfig {
  version: number;
  rules: Rule[];
  channels: Channel[];
  silences: Silence[];
  /** Absent in configs cached before SLOs existed. */
  slos?: Slo[];
}

/** Kind-specific rule fields, stored in alert_rules.params (see Rule in core/rules.ts). */
export interface RuleParams {
  windowMs?: number;
  shortWindowMs?: number;
  sloId?: string;
  horizonMs?: number;
}

export async function insertDefaultRules(db: AnyPg, tenantId: string) {
  await db.insert(alertRules).values(DEFAULT_RULES.map((r) => ({ ...r, id: newId('rule'), tenantId })));
  await bumpConfigVersion(db, tenantId);
}

/** Every write to rules, channels or silences bumps this; objects reload when it moves. */
export async function bumpConfigVersion(db: AnyPg, tenantId: string): Promise<number> {
  const rows = await db
    .insert(alertConfigVersions)
    .values({ tenantId, version: 1 })
    .onConflictDoUpdate({ target: alertConfigVersions.tenantId, set: { version: sql`${alertConfigVersions.version} + 1` } })
    .returning({ version: alertConfigVersions.version });
  return rows[0]!.version;
}

export async function configVersion(db: AnyPg, tenantId: string): Promise<number> {
  const rows = await db.select({ v: alertConfigVersions.version }).from(alertConfigVersions).where(eq(alertConfigVersions.tenantId, tenantId));
  return rows[0]?.v ?? 0;
}

export type RuleRow = typeof alertRules.$inferSelect;
export const toRule = (r: RuleRow): Rule => ({
  id: r.id,
  name: r.name,
  metric: r.metric,
  matchers: r.matchers,
  comparator: r.comparator,
  threshold: r.threshold,
  forMs: r.forMs,
  keepFiringForMs: r.keepFiringForMs,
  repeatIntervalMs: r.repeatIntervalMs,
  severity: r.severity,
  channelIds: r.channelIds,
  enabled: r.enabled,
  kind: r.kind,
  ...(r.params.windowMs !== undefined && { windowMs: r.params.windowMs }),
  ...(r.params.shortWindowMs !== undefined && { shortWindowMs: r.params.shortWindowMs }),
  ...(r.params.sloId !== undefined && { sloId: r.params.sloId }),
  ...(r.params.horizonMs !== undefined && { horizonMs: r.params.horizonMs }),
});

export type SloRow = typeof slos.$inferSelect;
export const toSlo = (r: SloRow): Slo => ({
  id: r.id,
  name: r.name,
  service: r.service,
  route: r.route,
  kind: r.kind,
  thresholdMs: r.thresholdMs,
  objective: r.objective,
  windowDays: r.windowDays as Slo['windowDays'],
  createdAt: r.createdAt.getTime(),
});

/** The config a host object evaluates with, read in one snapshot so version and rows agree. */
export async function loadAlertConfig(db: AnyPg, tenantId: string, now = Date.now()): Promise<AlertConfig> {
  return db.transaction(
    async (tx) => {
      const version = await configVersion(tx, tenantId);
      const rules = await tx.select().from(alertRules).where(and(eq(alertRules.tenantId, tenantId), eq(alertRules.enabled, true)));
      const chans = await tx.select().from(alertChannels).where(and(eq(alertChannels.tenantId, tenantId), eq(alertChannels.enabled, true)));
      const sils = await tx.select().from(silences).where(and(eq(silences.tenantId, tenantId), gt(silences.endsAt, new Date(now))));
      const sloRows = await tx.select().from(slos).where(eq(slos.tenantId, tenantId));
      return {
        version,
        rules: rules.map(toRule),
        channels: chans.map((c) => ({ id: c.id, name: c.name, type: c.type, config: c.config, enabled: c.enabled })),
        silences: sils.map((s) => ({ id: s.id, matchers: s.matchers, startsAt: s.startsAt.getTime(), endsAt: s.endsAt.getTime() })),
        slos: sloRows.map(toSlo),
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

export interface HistoryRow {
  id: string;
  ruleId: string;
  ruleName: string;
  severity: string;
  /** One of hostId and service is set: whose alert this is. */
  hostId: string | null;
  service: string | null;
  metric: string;
  labels: Record<string, string>;
  status: 'FIRING' | 'RESOLVED';
  value: number;
  threshold: number;
  startedAt: number;
  resolvedAt: number | null;
  notified: string;
  lastError: string | null;
}

/** Idempotent: each call writes the episode's whole current state. */
export async function upsertHistory(db: AnyPg, tenantId: string, rows: HistoryRow[]) {
  if (rows.length === 0) return;
  const values = rows.map((r) => ({
    ...r,
    tenantId,
    startedAt: new Date(r.startedAt),
    resolvedAt: r.resolvedAt === null ? null : new Date(r.resolvedAt),
    updatedAt: new Date(),
  }));
  await db
    .insert(alertHistory)
    .values(values)
    .onConflictDoUpdate({
      target: alertHistory.id,
      // The object owns the row; tenant_id never changes.
      set: {
        status: sql`excluded.status`,
        value: sql`excluded.value`,
        resolvedAt: sql`excluded.resolved_at`,
        notified: sql`excluded.notified`,
        lastError: sql`excluded.last_error`,
        updatedAt: sql`excluded.updated_at`,
      },
      setWhere: eq(alertHistory.tenantId, tenantId),
    });
}
