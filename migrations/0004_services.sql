-- Application monitoring (issue #12): services seen through OTLP, and their golden-signal
-- rollups. One row per service and route per bucket; route '' is the whole service. `sketch`
-- is the bucket's mergeable latency sketch (durable-objects/core/sketch.ts), so a percentile
-- over any range merges sketches instead of averaging percentiles.
CREATE TABLE services (
  tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name text NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  -- host.name / host.id resource attributes seen from this service (saturation matching)
  hosts jsonb NOT NULL DEFAULT '[]'::jsonb,
  PRIMARY KEY (tenant_id, name)
);
--> statement-breakpoint
CREATE TABLE service_rollup_1m (
  tenant_id text NOT NULL,
  service text NOT NULL,
  route text NOT NULL,
  bucket timestamptz NOT NULL,
  requests integer NOT NULL,
  errors integer NOT NULL,
  sum_ms double precision NOT NULL,
  min_ms double precision NOT NULL,
  max_ms double precision NOT NULL,
  sketch bytea NOT NULL,
  PRIMARY KEY (tenant_id, service, bucket, route)
) PARTITION BY RANGE (bucket);
--> statement-breakpoint
CREATE TABLE service_rollup_5m (
  tenant_id text NOT NULL,
  service text NOT NULL,
  route text NOT NULL,
  bucket timestamptz NOT NULL,
  requests integer NOT NULL,
  errors integer NOT NULL,
  sum_ms double precision NOT NULL,
  min_ms double precision NOT NULL,
  max_ms double precision NOT NULL,
  sketch bytea NOT NULL,
  PRIMARY KEY (tenant_id, service, bucket, route)
) PARTITION BY RANGE (bucket);
