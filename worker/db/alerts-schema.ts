// Typed mirror of migrations/0001_alerts.sql and 0006_slos.sql (the SQL files are the source of truth).
import { bigint, boolean, doublePrecision, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { RULE_KINDS } from '../../durable-objects/core/rules.ts';
import type { RuleParams } from './alerts.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const ms = (name: string) => bigint(name, { mode: 'number' });

export const alertRules = pgTable('alert_rules', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  name: text('name').notNull(),
  metric: text('metric').notNull(),
  matchers: jsonb('matchers').$type<Record<string, string>>().notNull().default({}),
  comparator: text('comparator', { enum: ['>', '>=', '<', '<=', '=='] }).notNull(),
  threshold: doublePrecision('threshold').notNull(),
  forMs: ms('for_ms').notNull().default(0),
  keepFiringForMs: ms('keep_firing_for_ms').notNull().default(0),
  repeatIntervalMs: ms('repeat_interval_ms').notNull().default(300_000),
  severity: text('severity', { enum: ['INFO', 'WARNING', 'CRITICAL'] }).notNull(),
  channelIds: text('channel_ids').array().notNull().default([]),
  enabled: boolean('enabled').notNull().default(true),
  kind: text('kind', { enum: RULE_KINDS }).notNull().default('threshold'),
  params: jsonb('params').$type<RuleParams>().notNull().default({}),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const alertChannels = pgTable('alert_channels', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  name: text('name').notNull(),
  type: text('type', { enum: ['slack', 'email', 'webhook'] }).notNull(),
  config: jsonb('config').$type<Record<string, unknown>>().notNull(),
  enabled: boolean('enabled').notNull().default(true),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const silences = pgTable('silences', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  matchers: jsonb('matchers').$type<Record<string, string>>().notNull(),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  comment: text('comment').notNull().default(''),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const alertHistory = pgTable('alert_history', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  ruleId: text('rule_id').notNull(),
  ruleName: text('rule_name').notNull(),
  severity: text('severity').notNull(),
  /** One of host_id and service is set: whose alert this is. */
  hostId: text('host_id'),
  service: text('service'),
  metric: text('metric').notNull(),
  labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
  status: text('status', { enum: ['FIRING', 'RESOLVED'] }).notNull(),
  value: doublePrecision('value').notNull(),
  threshold: doublePrecision('threshold').notNull(),
  startedAt: ts('started_at').notNull(),
  resolvedAt: ts('resolved_at'),
  notified: text('notified').notNull().default('pending'),
  lastError: text('last_error'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const alertConfigVersions = pgTable('alert_config_versions', {
  tenantId: text('tenant_id').primaryKey(),
  version: ms('version').notNull(),
});

export const slos = pgTable('slos', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  name: text('name').notNull(),
  service: text('service').notNull(),
  route: text('route'),
  kind: text('kind', { enum: ['availability', 'latency'] }).notNull(),
  thresholdMs: doublePrecision('threshold_ms'),
  objective: doublePrecision('objective').notNull(),
  windowDays: integer('window_days').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
