// API-key authentication. Lookups are cached in the isolate (keyed by the secret, so a warm
// request hashes nothing) and the ingest hot path does not touch Postgres once warm; entries
// expire after KEY_CACHE_MS so a revoked key stops working within that bound. If Postgres fails
// during a refresh, a known-good entry is served for up to STALE_MS rather than failing every
// waiting request at once (docs/architecture.md).
import { createMiddleware } from 'hono/factory';
import { ApiError } from '../errors.ts';
import { sha256Hex } from './crypto.ts';
import { withDb } from '../db/client.ts';
import { findKeyByHash } from '../db/tenants.ts';
import type { KeyScope } from '../db/schema.ts';
import type { AppEnv } from '../types.ts';

export const KEY_CACHE_MS = 5_000;
const NEGATIVE_CACHE_MS = 1_000;
const STALE_MS = 60_000;
const MAX_ENTRIES = 10_000;

interface Cached {
  key: { id: string; tenantId: string; scope: KeyScope } | null;
  expires: number;
  fetched: number;
}
const cache = new Map<string, Cached>();
const inflight = new Map<string, Promise<Cached['key']>>();

export function clearKeyCache() {
  cache.clear();
}

async function lookup(env: Env, secret: string) {
  const now = Date.now();
  const hit = cache.get(secret);
  if (hit && hit.expires > now) return hit.key;
  let p = inflight.get(secret);
  if (!p) {
    // One Postgres lookup per key at a time, however many requests wait for it.
    p = sha256Hex(secret)
      .then((hash) => withDb(env, (db) => findKeyByHash(db, hash)))
      .finally(() => inflight.delete(secret));
    inflight.set(secret, p);
  }
  let key: Cached['key'];
  try {
    key = await p;
  } catch (err) {
    if (hit?.key && now - hit.fetched < STALE_MS) return hit.key;
    throw err;
  }
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(secret, { key, expires: now + (key ? KEY_CACHE_MS : NEGATIVE_CACHE_MS), fetched: now });
  return key;
}

/** Requires `Authorization: Bearer <key>` with one of the given scopes. */
export const requireKey = (...scopes: KeyScope[]) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new ApiError(401, 'unauthorized', 'missing "Authorization: Bearer <api key>" header', 'authorization');
    const secret = m[1]!;
    if (secret.length > 200) throw new ApiError(401, 'unauthorized', 'invalid API key', 'authorization');
    const key = await lookup(c.env, secret);
    if (!key) throw new ApiError(401, 'unauthorized', 'invalid or revoked API key', 'authorization');
    // An admin key may do anything a read or ingest key may.
    if (!scopes.includes(key.scope) && key.scope !== 'admin')
      throw new ApiError(403, 'forbidden', `this ${key.scope} key cannot be used here; it needs the ${scopes.join(' or ')} scope`, 'authorization');
    c.set('tenantId', key.tenantId);
    c.set('keyId', key.id);
    await next();
  });
