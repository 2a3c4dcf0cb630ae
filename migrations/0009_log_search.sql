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
--    scan over the few severities), one index to maintain on ingest instead of two.
CREATE INDEX log_lines_service_level ON log_lines (tenant_id, service, severity, ts DESC);
--> statement-breakpoint
DROP INDEX log_lines_service;
--> statement-breakpoint
-- 3. A btree led by ts, for the planner, not for reads: the newest minutes are always past the
--    last ANALYZE's histogram, and only an index whose first column is ts lets the planner look
--    up the real newest time (get_actual_variable_range). Without it a 5-minute window of fresh
--    lines was estimated at one row and a rare word's search walked and rechecked all of them
--    (3.2 s over 200,000 fresh lines; 26-46 ms with this index, measured on the 5 M seed).
CREATE INDEX log_lines_ts ON log_lines (ts);
