-- Foundation schema (issue #2). Hand-written because drizzle-kit cannot express range
-- partitioning; worker/db/schema.ts mirrors these tables for typed queries.
CREATE TABLE tenants (
  id text PRIMARY KEY,
  name text NOT NULL,
  slug text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE users (
  id text PRIMARY KEY,
  email text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  name text,
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE memberships (
  tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
--> statement-breakpoint
CREATE TABLE api_keys (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name text NOT NULL,
  prefix text NOT NULL,
  hash text NOT NULL UNIQUE,
  scope text NOT NULL CHECK (scope IN ('ingest', 'read', 'admin')),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
--> statement-breakpoint
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
--> statement-breakpoint
CREATE TABLE hosts (
  tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id text NOT NULL,
  name text NOT NULL,
  os text NOT NULL,
  agent_version text NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
--> statement-breakpoint
-- Rollup tiers: one row per series per bucket, partitioned by day so retention drops whole
-- partitions (worker/db/partitions.ts creates them ahead and drops them past retention).
CREATE TABLE rollup_1m (
  tenant_id text NOT NULL,
  host_id text NOT NULL,
  metric text NOT NULL,
  labels text NOT NULL DEFAULT '',
  bucket timestamptz NOT NULL,
  count integer NOT NULL,
  sum double precision NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  last double precision NOT NULL,
  PRIMARY KEY (tenant_id, host_id, metric, bucket, labels)
) PARTITION BY RANGE (bucket);
--> statement-breakpoint
CREATE TABLE rollup_5m (
  tenant_id text NOT NULL,
  host_id text NOT NULL,
  metric text NOT NULL,
  labels text NOT NULL DEFAULT '',
  bucket timestamptz NOT NULL,
  count integer NOT NULL,
  sum double precision NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  last double precision NOT NULL,
  PRIMARY KEY (tenant_id, host_id, metric, bucket, labels)
) PARTITION BY RANGE (bucket);
