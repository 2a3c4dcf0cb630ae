// API-key authentication. Lookups are cached in the isolate (keyed by the secret, so a warm
// request hashes nothing) and the ingest hot path does not touch Postgres once warm; entries
// expire after KEY_CACHE_MS so a revoked key stops working within that bound. If Postgres fails
// during a refresh, a known-good entry is served for up to STALE_MS rather than failing every
// waiting request at once (docs/architecture.md).
import { sha256Hex } from './crypto.ts';
import { httpDb } from '../db/client.ts';
import { findKeyByHash } from '../db/tenants.ts';
import type { KeyScope } from '../db/schema.ts';

export const KEY_CACHE_MS = 5_000;
const NEGATIVE_CACHE_MS = 1_000;
const STALE_MS = 60_000;
const MAX_ENTRIES = 10_000;

export interface KeyInfo {
  id: string;
  tenantId: string;
  scope: KeyScope;
  prefix: string;
}

interface Cached {
  key: KeyInfo | null;
  expires: number;
  fetched: number;
  /** A refresh is under way (a flag, not a shared promise: see lookup). */
  refreshing: boolean;
}
const cache = new Map<string, Cached>();

export function clearKeyCache() {
  cache.clear();
}

/** Forgets a revoked key in this isolate at once; other isolates drop it within the cache bound. */
export function evictKey(id: string) {
  for (const [secret, entry] of cache) if (entry.key?.id === id) cache.delete(secret);
}

async function fetchKey(env: Env, secret: string): Promise<Cached> {
  const hash = await sha256Hex(secret);
  // last_used_at is refreshed with each lookup (at most every KEY_CACHE_MS per key and isolate):
  // one UPDATE … RETURNING, which commits on its own, so the HTTP query endpoint serves it.
  const key = await findKeyByHash(httpDb(env), hash, true);
  const now = Date.now();
  const entry = { key, expires: now + (key ? KEY_CACHE_MS : NEGATIVE_CACHE_MS), fetched: now, refreshing: false };
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(secret, entry);
  return entry;
}

/**
 * No promise is shared between requests: in workerd a request resuming from a promise another
 * request resolved runs in that request's context and then cannot touch its own body (seen as
 * "Cannot perform I/O on behalf of a different request" under load). An expired known key is
 * served while this request refreshes it in the background; a miss looks up in-request.
 */
export async function lookupKey(env: Env, ctx: { waitUntil(p: Promise<unknown>): void }, secret: string) {
  const now = Date.now();
  const hit = cache.get(secret);
  if (hit && hit.expires > now) return hit.key;
  if (hit?.key && now - hit.fetched < STALE_MS) {
    if (!hit.refreshing) {
      hit.refreshing = true;
      ctx.waitUntil(
        fetchKey(env, secret).catch((err) => {
          hit.refreshing = false;
          console.error(JSON.stringify({ msg: 'key refresh failed; serving the cached entry', error: String(err) }));
        }),
      );
    }
    // Within KEY_CACHE_MS plus one refresh round trip of a revocation, as documented.
    if (now - hit.fetched < KEY_CACHE_MS * 2) return hit.key;
  }
  try {
    return (await fetchKey(env, secret)).key;
  } catch (err) {
    if (hit?.key && now - hit.fetched < STALE_MS) return hit.key; // Postgres down: keep known keys working
    throw err;
  }
}
