-- Log search and ingest costs (issue #14, docs/performance.md "Logs (bench:logs)").
-- 1. log_words: the same words as 0007's translate(), computed about twice as fast (measured
--    per row: translate() scans its 32-character list for every character of the message).
--    The output is identical for every text (each ASCII punctuation character becomes one
--    space; the ranges are by code point: ! to /, : to @, [ to `, { to ~), so the GIN index
--    built on the old body stays valid; worker/routes/logs/migration.test.ts compares the two.
--    Every GIN insert and every row a search rechecks computes it.
CREATE OR REPLACE FUNCTION log_words(message text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN to_tsvector('simple'::regconfig, regexp_replace(message, '[!-/:-@[-`{-~]', ' ', 'g'));
--> statement-breakpoint
-- 2. Service and level together: "service=x&level=error" reads only that service's lines of that
--    level and above in a window, instead of a bitmap of every line of a word in the whole day
--    partition (which made the filtered search swing between 82 and 164 ms with the day's
--    size). Replaces (tenant_id, service, ts DESC): a service-only filter still uses it (skip
--    scan over the few severities), and the table keeps four indexes to maintain on ingest.
CREATE INDEX log_lines_service_level ON log_lines (tenant_id, service, severity, ts DESC);
--> statement-breakpoint
DROP INDEX log_lines_service;
