// New hosts and services are listed (Postgres `hosts`, `services`) within a moment of their first
// data. The worker, not each object, does it, in batches: when a fleet starts, 1,000 objects each
// opening a Postgres connection to register was most of the cold-start backlog
// (docs/performance.md). Each object's flush upserts its row again, so a lost batch heals itself.
//
// Requests share only plain data here (the queue); the one request that drains it does the I/O
// in its own waitUntil, so no request ever awaits another's promise (see auth/keys.ts).
import type { SQL } from 'drizzle-orm';
import type { HostInfo } from '../protocol/ingest.ts';
import { hostUpsert, type HostRow } from '../durable-objects/rollup-writer.ts';
import { serviceUpsert, type ServiceRow } from '../durable-objects/service/rollup-writer.ts';
import { withDb, type Db } from './db/client.ts';

const BATCH_DELAY_MS = 50;
const MAX_BATCH = 500;
/** A row already upserted by this isolate is not queued again for this long (unless it changes). */
const REMEMBER_MS = 10 * 60_000;
const MAX_REMEMBERED = 50_000;

type WaitUntil = { waitUntil(p: Promise<unknown>): void };

class Registry<Row> {
  private readonly remembered = new Map<string, { fingerprint: string; at: number }>();
  private readonly queue = new Map<string, Row>();
  private draining = false;

  constructor(
    private readonly what: string,
    private readonly upsert: (db: Db, rows: Row[]) => Promise<unknown>,
  ) {}

  reset() {
    this.remembered.clear();
    this.queue.clear();
    this.draining = false;
  }

  /** True once this isolate has written the row (or queued it). */
  has(key: string): boolean {
    return this.remembered.has(key);
  }

  /** Writes the row now (awaited by the caller) and remembers it. */
  async writeNow(env: Env, key: string, fingerprint: string, seen: number, row: Row) {
    await withDb(env, (db) => this.upsert(db, [row]));
    this.remembered.set(key, { fingerprint, at: seen });
  }

  /** Queues the row unless this isolate wrote the same one recently. */
  note(env: Env, ctx: WaitUntil, key: string, fingerprint: string, seen: number, row: Row) {
    const prev = this.remembered.get(key);
    if (prev && prev.fingerprint === fingerprint && seen - prev.at < REMEMBER_MS) return;
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
    this.remembered.set(key, { fingerprint, at: seen });
    this.queue.set(key, row);
    if (this.draining) return;
    this.draining = true;
    ctx.waitUntil(this.drain(env));
  }

  private async drain(env: Env) {
    try {
      await new Promise((r) => setTimeout(r, BATCH_DELAY_MS)); // let a burst of new rows gather
      while (this.queue.size) {
        const keys = [...this.queue.keys()].slice(0, MAX_BATCH);
        const rows = keys.map((k) => this.queue.get(k)!);
        for (const k of keys) this.queue.delete(k);
        try {
          await withDb(env, (db) => this.upsert(db, rows));
        } catch (err) {
          for (const k of keys) this.remembered.delete(k); // the next request queues them again
          console.error(JSON.stringify({ msg: `${this.what} registration failed; retried with the next request`, rows: rows.length, error: String(err) }));
        }
      }
    } finally {
      this.draining = false;
    }
  }
}

const hostRegistry = new Registry<HostRow>('host', (db, rows) => hostUpsert(db, rows));
const serviceRegistry = new Registry<ServiceRow>('service', (db, rows) => db.execute(serviceUpsert(rows) as SQL));

export function resetRegistries() {
  hostRegistry.reset();
  serviceRegistry.reset();
}

/** Queues the host (seen = its newest sample) unless this isolate did it recently with the same info. */
export function noteHost(env: Env, ctx: WaitUntil, tenantId: string, info: HostInfo, seen: number) {
  hostRegistry.note(env, ctx, `${tenantId}\u0000${info.id}`, JSON.stringify(info), seen, { tenantId, info, seen });
}

/**
 * Lists the service: the first time this isolate sees it, before the request is answered (the
 * query routes look services up in Postgres, so an acknowledged span's service must be there);
 * after that queued like hosts. The object's flushes keep last_seen and hosts current.
 */
export async function noteService(env: Env, ctx: WaitUntil, tenantId: string, service: string, hosts: string[], seen: number) {
  const key = `${tenantId}\u0000${service}`;
  const row = { tenantId, service, seen, hosts };
  if (!serviceRegistry.has(key)) await serviceRegistry.writeNow(env, key, hosts.join('\u0000'), seen, row);
  else serviceRegistry.note(env, ctx, key, hosts.join('\u0000'), seen, row);
}
