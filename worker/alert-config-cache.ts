// The tenant's alert config as the ingest route offers it to host objects. An object that lacks
// the config, or holds an older version, asks for it in its answer and gets it on a second call;
// so a fleet's 1,000 new objects cost one Postgres read per isolate instead of 1,000, and an
// object that missed a config push catches up within TTL_MS of its next sample.
//
// No promise is shared between requests (auth/keys.ts explains why): a request that finds a load
// in progress polls the plain cache entry briefly instead of awaiting the loader.
import { loadAlertConfig, type AlertConfig } from './db/alerts.ts';
import { withDb } from './db/client.ts';

export const CONFIG_TTL_MS = 30_000;
const WAIT_MS = 2_000;
const POLL_MS = 10;

interface Entry {
  config: AlertConfig | null;
  fetched: number;
  loading: boolean;
}
const cache = new Map<string, Entry>();

export function clearAlertConfigCache() {
  cache.clear();
}

/** After a change in this isolate, the next sample reads the new version at once. */
export function forgetAlertConfig(tenantId: string) {
  const e = cache.get(tenantId);
  if (e) e.fetched = 0;
}

/** The cached config (refreshed after CONFIG_TTL_MS), or null when Postgres cannot say. */
export async function tenantAlertConfig(env: Env, tenantId: string, now = Date.now()): Promise<AlertConfig | null> {
  let e = cache.get(tenantId);
  if (e?.config && now - e.fetched < CONFIG_TTL_MS) return e.config;
  if (e?.loading) {
    const deadline = now + WAIT_MS;
    while (e?.loading && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      e = cache.get(tenantId);
    }
    if (e?.config && Date.now() - e.fetched < CONFIG_TTL_MS) return e.config;
  }
  const entry: Entry = e ?? { config: null, fetched: 0, loading: false };
  cache.set(tenantId, entry);
  entry.loading = true;
  try {
    entry.config = await withDb(env, (db) => loadAlertConfig(db, tenantId));
    entry.fetched = Date.now();
    return entry.config;
  } catch (err) {
    console.error(JSON.stringify({ msg: 'alert config load failed; objects fall back to their own copy', error: String(err) }));
    return entry.config; // a stale config beats none; objects only take newer versions anyway
  } finally {
    entry.loading = false;
  }
}
