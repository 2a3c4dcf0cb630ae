-- Services' OTLP metrics (issue #12, docs/apm.md "Metrics"). Custom series: the same rollup
-- columns as a host's metrics (count/sum/min/max/last per series and bucket, labels the point
-- attributes), owned by a service. Partitioned by day like every rollup tier
-- (worker/db/partitions.ts).
CREATE TABLE service_metric_1m (
  tenant_id text NOT NULL,
  service text NOT NULL,
  metric text NOT NULL,
  labels text NOT NULL DEFAULT '',
  bucket timestamptz NOT NULL,
  count integer NOT NULL,
  sum double precision NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  last double precision NOT NULL,
  PRIMARY KEY (tenant_id, service, metric, bucket, labels)
) PARTITION BY RANGE (bucket);
--> statement-breakpoint
CREATE TABLE service_metric_5m (
  tenant_id text NOT NULL,
  service text NOT NULL,
  metric text NOT NULL,
  labels text NOT NULL DEFAULT '',
  bucket timestamptz NOT NULL,
  count integer NOT NULL,
  sum double precision NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  last double precision NOT NULL,
  PRIMARY KEY (tenant_id, service, metric, bucket, labels)
) PARTITION BY RANGE (bucket);
--> statement-breakpoint
-- Request counts from duration histograms are not bounded by the span rate limit (one data point
-- can stand for millions of requests), so a 5 m bucket's total may pass 2^31.
ALTER TABLE service_rollup_1m ALTER COLUMN requests TYPE bigint, ALTER COLUMN errors TYPE bigint;
--> statement-breakpoint
ALTER TABLE service_rollup_5m ALTER COLUMN requests TYPE bigint, ALTER COLUMN errors TYPE bigint;
