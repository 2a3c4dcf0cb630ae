// Typed mirror of migrations/*.sql for drizzle queries. The SQL files are the source of truth.
import { bigint, customType, doublePrecision, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const tenants = pgTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  name: text('name'),
  createdAt: ts('created_at').notNull().defaultNow(),
  emailVerifiedAt: ts('email_verified_at'),
});

export const memberships = pgTable(
  'memberships',
  {
    tenantId: text('tenant_id').notNull(),
    userId: text('user_id').notNull(),
    role: text('role', { enum: ['owner', 'admin', 'editor', 'viewer'] }).notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] })],
);

export type KeyScope = 'ingest' | 'read' | 'admin';

export const apiKeys = pgTable('api_keys', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  name: text('name').notNull(),
  prefix: text('prefix').notNull(),
  hash: text('hash').notNull().unique(),
  scope: text('scope', { enum: ['ingest', 'read', 'admin'] }).notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  lastUsedAt: ts('last_used_at'),
  revokedAt: ts('revoked_at'),
});

export const hosts = pgTable(
  'hosts',
  {
    tenantId: text('tenant_id').notNull(),
    id: text('id').notNull(),
    name: text('name').notNull(),
    os: text('os').notNull(),
    agentVersion: text('agent_version').notNull(),
    firstSeen: ts('first_seen').notNull(),
    lastSeen: ts('last_seen').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

const rollupColumns = {
  tenantId: text('tenant_id').notNull(),
  hostId: text('host_id').notNull(),
  metric: text('metric').notNull(),
  labels: text('labels').notNull().default(''),
  bucket: ts('bucket').notNull(),
  count: integer('count').notNull(),
  sum: doublePrecision('sum').notNull(),
  min: doublePrecision('min').notNull(),
  max: doublePrecision('max').notNull(),
  last: doublePrecision('last').notNull(),
};

export const rollup1m = pgTable('rollup_1m', rollupColumns);
export const rollup5m = pgTable('rollup_5m', rollupColumns);

/** A service's custom series (OTLP metrics): a host rollup's columns, owned by a service. */
const serviceMetricColumns = (({ hostId: _hostId, ...rest }) => ({ ...rest, service: text('service').notNull() }))(rollupColumns);
export const serviceMetric1m = pgTable('service_metric_1m', serviceMetricColumns);
export const serviceMetric5m = pgTable('service_metric_5m', serviceMetricColumns);

export const services = pgTable(
  'services',
  {
    tenantId: text('tenant_id').notNull(),
    name: text('name').notNull(),
    firstSeen: ts('first_seen').notNull(),
    lastSeen: ts('last_seen').notNull(),
    hosts: jsonb('hosts').$type<string[]>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.name] })],
);

/** A sketch's bytes; read as base64 text (`encode(sketch, 'base64')`) by the signal queries. */
const bytea = customType<{ data: Uint8Array }>({ dataType: () => 'bytea' });

const serviceRollupColumns = {
  tenantId: text('tenant_id').notNull(),
  service: text('service').notNull(),
  route: text('route').notNull(),
  bucket: ts('bucket').notNull(),
  // bigint (0004): request counts from duration histograms can pass 2^31 in a bucket
  requests: bigint('requests', { mode: 'number' }).notNull(),
  errors: bigint('errors', { mode: 'number' }).notNull(),
  sumMs: doublePrecision('sum_ms').notNull(),
  minMs: doublePrecision('min_ms').notNull(),
  maxMs: doublePrecision('max_ms').notNull(),
  sketch: bytea('sketch').notNull(),
};
export const serviceRollup1m = pgTable('service_rollup_1m', serviceRollupColumns);
export const serviceRollup5m = pgTable('service_rollup_5m', serviceRollupColumns);

export const sessions = pgTable('sessions', {
  id: text('id').primaryKey(),
  tokenHash: text('token_hash').notNull().unique(),
  userId: text('user_id').notNull(),
  activeTenantId: text('active_tenant_id'),
  csrfToken: text('csrf_token').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  ip: text('ip'),
  userAgent: text('user_agent'),
});

export const emailTokens = pgTable('email_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  userId: text('user_id').notNull(),
  purpose: text('purpose', { enum: ['verify', 'reset'] }).notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
});

/** Sign-up requests (migrations/0003): the link to finish one, or a notice to an existing owner. */
export const signupAttempts = pgTable('signup_attempts', {
  tokenHash: text('token_hash').primaryKey(),
  email: text('email').notNull(),
  kind: text('kind', { enum: ['new', 'existing'] }).notNull(),
  passwordHash: text('password_hash'),
  name: text('name'),
  orgName: text('org_name'),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
});

export const invitations = pgTable('invitations', {
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  email: text('email').notNull(),
  role: text('role', { enum: ['owner', 'admin', 'editor', 'viewer'] }).notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  invitedBy: text('invited_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  acceptedAt: ts('accepted_at'),
});

export const auditLog = pgTable('audit_log', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  tenantId: text('tenant_id').notNull(),
  ts: ts('ts').notNull().defaultNow(),
  actorType: text('actor_type', { enum: ['user', 'key', 'system'] }).notNull(),
  actorId: text('actor_id'),
  actorLabel: text('actor_label'),
  action: text('action').notNull(),
  targetType: text('target_type').notNull(),
  targetId: text('target_id'),
  details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  ip: text('ip'),
  userAgent: text('user_agent'),
});
