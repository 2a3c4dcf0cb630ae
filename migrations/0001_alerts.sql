-- Alerting (issue 4): rules, channels, silences, history, and a per-tenant config version that
-- host objects compare against their cached copy (docs/alerting.md).
CREATE TABLE alert_rules (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name text NOT NULL,
  metric text NOT NULL,
  matchers jsonb NOT NULL DEFAULT '{}'::jsonb,
  comparator text NOT NULL CHECK (comparator IN ('>', '>=', '<', '<=', '==')),
  threshold double precision NOT NULL,
  for_ms bigint NOT NULL DEFAULT 0 CHECK (for_ms >= 0),
  keep_firing_for_ms bigint NOT NULL DEFAULT 0 CHECK (keep_firing_for_ms >= 0),
  repeat_interval_ms bigint NOT NULL DEFAULT 300000 CHECK (repeat_interval_ms > 0),
  severity text NOT NULL CHECK (severity IN ('INFO', 'WARNING', 'CRITICAL')),
  channel_ids text[] NOT NULL DEFAULT '{}',
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX alert_rules_tenant ON alert_rules (tenant_id);
--> statement-breakpoint
CREATE TABLE alert_channels (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name text NOT NULL,
  type text NOT NULL CHECK (type IN ('slack', 'email', 'webhook')),
  -- Holds secrets (webhook URLs, signing keys); every API response masks them.
  config jsonb NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX alert_channels_tenant ON alert_channels (tenant_id);
--> statement-breakpoint
CREATE TABLE silences (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  matchers jsonb NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  comment text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
--> statement-breakpoint
CREATE INDEX silences_tenant ON silences (tenant_id, ends_at);
--> statement-breakpoint
-- One row per firing episode of one rule on one series; written by the host object. No foreign
-- key to alert_rules: deleting a rule keeps its history.
CREATE TABLE alert_history (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  rule_id text NOT NULL,
  rule_name text NOT NULL,
  severity text NOT NULL,
  host_id text NOT NULL,
  metric text NOT NULL,
  labels jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL CHECK (status IN ('FIRING', 'RESOLVED')),
  value double precision NOT NULL,
  threshold double precision NOT NULL,
  started_at timestamptz NOT NULL,
  resolved_at timestamptz,
  -- pending | sent | failed | silenced | suppressed (repeat interval) | none (no channel)
  notified text NOT NULL DEFAULT 'pending',
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX alert_history_tenant_started ON alert_history (tenant_id, started_at DESC);
--> statement-breakpoint
CREATE INDEX alert_history_firing ON alert_history (tenant_id, host_id) WHERE status = 'FIRING';
--> statement-breakpoint
CREATE TABLE alert_config_versions (
  tenant_id text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  version bigint NOT NULL
);
