-- Stored spans (issue #14, docs/traces.md): every error span's trace, each route's slowest spans
-- per minute and a capped sample, whole traces of a request together. Partitioned by day of the
-- span's start and dropped whole after 7 days (worker/db/partitions.ts). Written in batches, one
-- statement for many requests (worker/otlp/span-writer.ts); a retried body's rows are the same
-- rows (ON CONFLICT DO NOTHING).
CREATE TABLE spans (
  tenant_id text NOT NULL,
  trace_id text NOT NULL,
  span_id text NOT NULL,
  parent_span_id text NOT NULL DEFAULT '',
  service text NOT NULL,
  -- the route a server span counts under in the signals; NULL for other kinds
  route text,
  name text NOT NULL,
  kind smallint NOT NULL,
  start_time timestamptz NOT NULL,
  duration_ms double precision NOT NULL,
  error boolean NOT NULL,
  status_code smallint NOT NULL,
  status_message text NOT NULL DEFAULT '',
  -- why it was stored: error, slow or sample
  kept text NOT NULL,
  -- a server span or a root span: what the trace search lists
  entry boolean NOT NULL,
  attributes json NOT NULL,
  resource json NOT NULL,
  events json NOT NULL,
  links json NOT NULL,
  dropped json NOT NULL,
  -- json, not jsonb: nothing queries inside them, and json keeps the checked text without
  -- jsonb's conversion on every insert
  PRIMARY KEY (tenant_id, trace_id, span_id, start_time)
) PARTITION BY RANGE (start_time);
--> statement-breakpoint
-- The trace search, newest first: per service and across the organization, entry spans only.
CREATE INDEX spans_service_search ON spans (tenant_id, service, start_time DESC) WHERE entry;
--> statement-breakpoint
CREATE INDEX spans_search ON spans (tenant_id, start_time DESC) WHERE entry;
--> statement-breakpoint
-- Exemplars of the latency chart over rollup ranges: each route's slowest spans per minute.
CREATE INDEX spans_slow ON spans (tenant_id, service, start_time) WHERE kept = 'slow';
