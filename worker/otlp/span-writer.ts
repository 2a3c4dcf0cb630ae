// Stored spans are written after the answer, in batches across requests: a request queues its
// rows, and the one request that drains the queue writes up to MAX_ROWS rows per statement in its
// own waitUntil (as worker/registry.ts does for hosts). Each statement is one fetch to the HTTP
// query endpoint (httpDb: Neon's, locally the shim's POST /sql), answered from pooled
// connections: no connection is set up per drain (a Postgres backend fork and SCRAM each, ~6 a
// second at bench:apm's rate; docs/performance.md). No request awaits another's promise.
//
// The stored spans are a sample for looking at requests; the signals (counted in the objects
// before the answer) are what must never be lost. A failed write is logged with its row count
// and dropped (docs/traces.md, "Durability").
import { httpDb } from '../db/client.ts';
import { insertSpanJson } from '../db/spans.ts';
import { spanRowJson, type SpanRow } from './span-rows.ts';

const BATCH_DELAY_MS = 20;
const MAX_ROWS = 500;
/** A statement's JSON stays under this many characters (rows may be up to 64 KiB each), well under the HTTP endpoint's request size. */
const MAX_CHARS = 4 * 1024 * 1024;
/** Past this many queued rows (Postgres slow or down) new rows are dropped, and counted in the log. */
const MAX_QUEUED = 50_000;
/**
 * One drain writes for at most this long, then leaves the rest to the next request's drain: the
 * runtime may cancel a request's waitUntil (30 s after the answer), and a drain that never ended
 * must not keep every later request from starting one.
 */
const MAX_DRAIN_MS = 5_000;
/** A drain that has not finished after this long is taken as cancelled. */
const STALE_DRAIN_MS = 2 * MAX_DRAIN_MS + 10_000;

type WaitUntil = { waitUntil(p: Promise<unknown>): void };
/** Rows queued as their JSON (spanRowJson): encoded by the request that made them. */
let queue: string[] = [];
/** The running drain (its start), or 0. */
let drainingSince = 0;
let overflow = 0;

export function queueSpans(env: Env, ctx: WaitUntil, tenantId: string, rows: SpanRow[]) {
  if (rows.length === 0) return;
  for (const r of rows) {
    if (queue.length >= MAX_QUEUED) overflow++;
    else queue.push(spanRowJson(r, tenantId));
  }
  const now = Date.now();
  if (drainingSince && now - drainingSince < STALE_DRAIN_MS) return;
  drainingSince = now;
  ctx.waitUntil(drain(env, now));
}

async function drain(env: Env, started: number) {
  try {
    await new Promise((r) => setTimeout(r, BATCH_DELAY_MS)); // let a burst of requests gather
    // Between the last check and the reset in `finally` nothing awaits, so no row queued
    // meanwhile is left behind in the queue.
    while (queue.length && Date.now() - started < MAX_DRAIN_MS) {
      let n = 0;
      for (let chars = 0; n < queue.length && n < MAX_ROWS && (n === 0 || chars + queue[n]!.length <= MAX_CHARS); n++) chars += queue[n]!.length + 1;
      const rows = queue.slice(0, n);
      queue = queue.slice(n);
      try {
        await insertSpanJson(httpDb(env), rows, Date.now());
      } catch (err) {
        console.error(JSON.stringify({ msg: 'span write failed; these spans are not stored', rows: rows.length, error: String(err) }));
      }
    }
    if (overflow) {
      console.error(JSON.stringify({ msg: 'span write queue full; spans not stored', rows: overflow }));
      overflow = 0;
    }
  } finally {
    if (drainingSince === started) drainingSince = 0; // not if a newer drain took over
  }
}
