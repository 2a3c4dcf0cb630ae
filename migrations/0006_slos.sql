-- SLOs and service alerts (issue #13, docs/slo.md, docs/alerting.md). Rules gain a kind and the
-- kind's parameters (service threshold rules: the signal window; burn-rate rules: the SLO and
-- the long and short windows), so one table, one engine and one history serve hosts and
-- services. A history row belongs to a host or to a service.
ALTER TABLE alert_rules ADD COLUMN kind text NOT NULL DEFAULT 'threshold';
--> statement-breakpoint
ALTER TABLE alert_rules ADD COLUMN params jsonb NOT NULL DEFAULT '{}'::jsonb;
--> statement-breakpoint
ALTER TABLE alert_history ALTER COLUMN host_id DROP NOT NULL;
--> statement-breakpoint
ALTER TABLE alert_history ADD COLUMN service text;
--> statement-breakpoint
ALTER TABLE alert_history ADD CONSTRAINT alert_history_subject CHECK ((host_id IS NULL) <> (service IS NULL));
--> statement-breakpoint
CREATE INDEX alert_history_service_firing ON alert_history (tenant_id, service) WHERE status = 'FIRING' AND service IS NOT NULL;
--> statement-breakpoint
CREATE TABLE slos (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name text NOT NULL,
  service text NOT NULL,
  -- NULL: the whole service; else one route (as the service page names it, e.g. 'GET /api/orders')
  route text,
  kind text NOT NULL CHECK (kind IN ('availability', 'latency')),
  -- latency SLOs: a request is good at or under this many ms
  threshold_ms double precision CHECK (threshold_ms > 0),
  objective double precision NOT NULL CHECK (objective > 0 AND objective < 1),
  window_days integer NOT NULL CHECK (window_days IN (7, 28, 30)),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'latency') = (threshold_ms IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX slos_tenant ON slos (tenant_id, service);
