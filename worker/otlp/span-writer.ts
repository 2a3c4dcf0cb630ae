// Stored spans are written after the answer, in batches across requests: a request queues its
// rows, and the one request that drains the queue writes up to MAX_ROWS rows per statement in its
// own waitUntil (as worker/registry.ts does for hosts), so a burst of exports costs a few
// Postgres connections instead of one each. No request awaits another's promise.
//
// The stored spans are a sample for looking at requests; the signals (counted in the objects
// before the answer) are what must never be lost. A failed write is logged with its row count
// and dropped (docs/traces.md, "Durability").
import { withDb } from '../db/client.ts';
import { insertSpans } from '../db/spans.ts';
import type { SpanRow } from './span-rows.ts';

const BATCH_DELAY_MS = 20;
const MAX_ROWS = 2000;
/** Past this many queued rows (Postgres slow or down) new rows are dropped, and counted in the log. */
const MAX_QUEUED = 50_000;

type WaitUntil = { waitUntil(p: Promise<unknown>): void };
type Row = SpanRow & { tenant_id: string };

let queue: Row[] = [];
let draining = false;
let overflow = 0;

export function queueSpans(env: Env, ctx: WaitUntil, tenantId: string, rows: SpanRow[]) {
  if (rows.length === 0) return;
  for (const r of rows) {
    if (queue.length >= MAX_QUEUED) overflow++;
    else queue.push({ ...r, tenant_id: tenantId });
  }
  if (draining) return;
  draining = true;
  ctx.waitUntil(drain(env));
}

async function drain(env: Env) {
  try {
    await new Promise((r) => setTimeout(r, BATCH_DELAY_MS)); // let a burst of requests gather
    try {
      // One connection for the whole drain; one statement per MAX_ROWS rows.
      await withDb(env, async (db) => {
        while (queue.length) {
          const rows = queue.slice(0, MAX_ROWS);
          queue = queue.slice(rows.length);
          try {
            await insertSpans(db, rows, Date.now());
          } catch (err) {
            console.error(JSON.stringify({ msg: 'span write failed; these spans are not stored', rows: rows.length, error: String(err) }));
          }
        }
      });
    } catch (err) {
      console.error(JSON.stringify({ msg: 'span write failed (no connection); these spans are not stored', rows: queue.length, error: String(err) }));
      queue = [];
    }
    if (overflow) {
      console.error(JSON.stringify({ msg: 'span write queue full; spans not stored', rows: overflow }));
      overflow = 0;
    }
  } finally {
    draining = false;
  }
}

/** For tests: what is queued and whether a drain is running. */
export function spanQueueState() {
  return { queued: queue.length, draining };
}
