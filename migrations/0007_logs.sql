-- Log lines (issue #14, docs/logs.md). Partitioned by day on the line's time and dropped whole
-- past the retention (worker/db/partitions.ts, 7 days). Written one multi-row INSERT per request.
-- Full-text search is a GIN index on an expression (../shared/TOOLCHAIN.md: as fast to query as
-- a stored tsvector column, half the heap, ~46k rows/s to insert): `log_words` turns ASCII
-- punctuation into spaces before the 'simple' parser, so `/api/v1/users`, `user_id` and
-- `db.example.com` are found by their words, the same words protocol/logs.ts `words()` gives the
-- live tail. No stemming and no stop words: a log search looks for the word as written.
CREATE FUNCTION log_words(message text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN to_tsvector('simple'::regconfig, translate(message, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                '));
--> statement-breakpoint
CREATE TABLE log_lines (
  tenant_id text NOT NULL,
  ts timestamptz NOT NULL,
  -- Orders lines of the same microsecond; the search cursor is (ts, id).
  id bigserial NOT NULL,
  service text NOT NULL,
  -- OTLP SeverityNumber (0 unspecified, 1-24); "level and above" is severity >= n.
  severity smallint NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  trace_id text,
  span_id text,
  attributes jsonb NOT NULL DEFAULT '{}',
  truncated boolean NOT NULL DEFAULT false,
  dropped_attributes integer NOT NULL DEFAULT 0
) PARTITION BY RANGE (ts);
--> statement-breakpoint
CREATE INDEX log_lines_time ON log_lines (tenant_id, ts DESC, id DESC);
--> statement-breakpoint
CREATE INDEX log_lines_service ON log_lines (tenant_id, service, ts DESC);
--> statement-breakpoint
CREATE INDEX log_lines_trace ON log_lines (tenant_id, trace_id, ts DESC) WHERE trace_id IS NOT NULL;
--> statement-breakpoint
CREATE INDEX log_lines_words ON log_lines USING gin (log_words(message));
