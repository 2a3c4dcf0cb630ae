// New hosts are listed (Postgres `hosts`) within a moment of their first sample. The worker, not
// each host object, does it, in batches: when a fleet starts, 1,000 objects each opening a
// Postgres connection to register was most of the cold-start backlog (docs/performance.md). The
// object's flush upserts the host again every 5 minutes, so a lost batch heals by itself.
//
// Requests share only plain data here (the queue); the one request that drains it does the I/O
// in its own waitUntil, so no request ever awaits another's promise (see auth/keys.ts).
import type { HostInfo } from '../protocol/ingest.ts';
import { hostUpsert, type HostRow } from '../durable-objects/rollup-writer.ts';
import { withDb } from './db/client.ts';

const BATCH_DELAY_MS = 50;
const MAX_BATCH = 500;
/** A host already upserted by this isolate is not queued again for this long (unless it changes). */
const REMEMBER_MS = 10 * 60_000;
const MAX_REMEMBERED = 50_000;

const remembered = new Map<string, { info: string; at: number }>();
const queue = new Map<string, HostRow>();
let draining = false;

export function resetHostRegistry() {
  remembered.clear();
  queue.clear();
  draining = false;
}

/** Queues the host (seen = its newest sample) unless this isolate did it recently with the same info. */
export function noteHost(env: Env, ctx: { waitUntil(p: Promise<unknown>): void }, tenantId: string, info: HostInfo, seen: number) {
  const key = `${tenantId}\u0000${info.id}`;
  const json = JSON.stringify(info);
  const prev = remembered.get(key);
  if (prev && prev.info === json && seen - prev.at < REMEMBER_MS) return;
  if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
  remembered.set(key, { info: json, at: seen });
  queue.set(key, { tenantId, info, seen });
  if (draining) return;
  draining = true;
  ctx.waitUntil(drain(env));
}

async function drain(env: Env) {
  try {
    await new Promise((r) => setTimeout(r, BATCH_DELAY_MS)); // let a burst of new hosts gather
    while (queue.size) {
      const keys = [...queue.keys()].slice(0, MAX_BATCH);
      const rows = keys.map((k) => queue.get(k)!);
      for (const k of keys) queue.delete(k);
      try {
        await withDb(env, (db) => hostUpsert(db, rows));
      } catch (err) {
        for (const k of keys) remembered.delete(k); // the next sample queues them again
        console.error(JSON.stringify({ msg: 'host registration failed; retried with the next sample', hosts: rows.length, error: String(err) }));
      }
    }
  } finally {
    draining = false;
  }
}
