// The tenant's alert config as the ingest route offers it to host objects. An object that lacks
// the config, or holds an older version, asks for it in its answer and gets it on a second call;
// so a fleet's 1,000 new objects cost one Postgres read per isolate instead of 1,000, and an
// object that missed a config push catches up within TTL_MS (plus one refresh) of its next sample.
//
// Past TTL_MS the cached config is still offered while one request refreshes it in its own
// waitUntil: measured, a refresh awaited in-request held every ingest request of the isolate
// for its round trip (a latency spike every 30 s at 200 req/s, docs/performance.md). A change
// made through this isolate's routes (forgetAlertConfig) is read in-request, so it applies to
// the very next sample.
//
// No promise is shared between requests (auth/keys.ts explains why): a request that finds an
// in-request load in progress polls the plain cache entry briefly instead of awaiting the loader.
import { loadAlertConfig, type AlertConfig } from './db/alerts.ts';
import { withDb } from './db/client.ts';

export const CONFIG_TTL_MS = 30_000;
/** Past this a cached config is not offered without reading Postgres first. */
export const CONFIG_STALE_MS = 5 * 60_000;
/** After a failed background refresh, the next one waits this long (not one per request). */
export const REFRESH_RETRY_MS = 5_000;
const WAIT_MS = 2_000;
const POLL_MS = 10;

interface Entry {
  config: AlertConfig | null;
  /** 0 once forgotten: the next request must read Postgres before offering anything. */
  fetched: number;
  loading: boolean;
  /** Bumped by forgetAlertConfig, so a read that began before a change cannot store its result. */
  gen: number;
  /** No background refresh before this (set when one failed). */
  retryAt: number;
}
const cache = new Map<string, Entry>();

export function clearAlertConfigCache() {
  cache.clear();
}

/** After a change in this isolate, the next sample reads the new version at once. */
export function forgetAlertConfig(tenantId: string) {
  const e = cache.get(tenantId);
  if (e) {
    e.fetched = 0;
    e.gen++;
  }
}

async function load(env: Env, tenantId: string, entry: Entry): Promise<AlertConfig | null> {
  entry.loading = true;
  try {
    const gen = entry.gen;
    const started = Date.now();
    const config = await withDb(env, (db) => loadAlertConfig(db, tenantId));
    if (entry.gen === gen) {
      entry.config = config;
      entry.fetched = started;
    }
    return config;
  } finally {
    entry.loading = false;
  }
}

/** The cached config (refreshed after CONFIG_TTL_MS), or null when Postgres cannot say. */
export async function tenantAlertConfig(env: Env, ctx: { waitUntil(p: Promise<unknown>): void }, tenantId: string, now = Date.now()): Promise<AlertConfig | null> {
  let e = cache.get(tenantId);
  if (e?.config && e.fetched > 0) {
    const age = now - e.fetched;
    if (age < CONFIG_TTL_MS) return e.config;
    if (age < CONFIG_STALE_MS) {
      if (!e.loading && now >= e.retryAt) {
        const entry = e;
        ctx.waitUntil(
          load(env, tenantId, entry).catch((err) => {
            // Postgres down: without this every ingest request would start another refresh.
            entry.retryAt = now + REFRESH_RETRY_MS;
            console.error(JSON.stringify({ msg: 'alert config refresh failed; offering the cached one', error: String(err) }));
          }),
        );
      }
      return e.config;
    }
  }
  if (e?.loading) {
    const deadline = now + WAIT_MS;
    while (e?.loading && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      e = cache.get(tenantId);
    }
    if (e?.config && e.fetched > 0 && Date.now() - e.fetched < CONFIG_TTL_MS) return e.config;
  }
  const entry: Entry = e ?? { config: null, fetched: 0, loading: false, gen: 0, retryAt: 0 };
  cache.set(tenantId, entry);
  try {
    return await load(env, tenantId, entry);
  } catch (err) {
    console.error(JSON.stringify({ msg: 'alert config load failed; objects fall back to their own copy', error: String(err) }));
    return entry.config; // a stale config beats none; objects only take newer versions anyway
  }
}
