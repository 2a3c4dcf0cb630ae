// Authentication and the read routes open no Postgres connection per request: they read over the
// HTTP query endpoint (worker/db/client.ts httpDb). Observed at the local shim, which counts its
// WebSocket upgrades (each a new Postgres connection) by target address and its /sql statements
// by host. The requests here go to the worker with DATABASE_URL naming the same Postgres as
// `localhost` instead of 127.0.0.1, so the counts under `localhost` are this file's alone, while
// other test files share the shim.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../index.ts';
import { BASE, batch, post, sample, seedTenant } from '../../test/helpers.ts';
import { signUp, type Browser } from '../../test/session.ts';
import { clearKeyCache } from './keys.ts';

const tagged = new URL(env.DATABASE_URL);
tagged.hostname = 'localhost';
const taggedEnv = { ...env, DATABASE_URL: tagged.toString() };
const WS_TARGET = `localhost:${tagged.port}`;

interface Stats {
  websockets: Record<string, number>;
  sql: Record<string, number>;
}
async function stats(): Promise<{ ws: number; sql: number }> {
  const s = (await (await fetch(`http://${env.PG_WS_PROXY}/stats`)).json()) as Stats;
  return { ws: s.websockets[WS_TARGET] ?? 0, sql: s.sql.localhost ?? 0 };
}

/** One request through the worker with the tagged DATABASE_URL, background work included. */
async function call(path: string, headers: Record<string, string>, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } }), taggedEnv as Env, ctx);
  const body = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, body };
}

/** Counts what `run` made the shim do under the tagged address. */
async function counted(run: () => Promise<void>) {
  const before = await stats();
  await run();
  const after = await stats();
  return { ws: after.ws - before.ws, sql: after.sql - before.sql };
}

let t: Awaited<ReturnType<typeof seedTenant>>;
let owner: Browser;
beforeAll(async () => {
  t = await seedTenant('Connections Org');
  const res = await post(t.ingestKey, batch('conn-host', [sample(Date.now(), 12)]));
  expect(res.status).toBe(200);
  owner = await signUp();
});

describe('a Postgres connection per request', () => {
  it('none for API-key authentication and the read routes, though they do read Postgres', async () => {
    clearKeyCache(); // the first request below looks its key up in Postgres
    const key = { authorization: `Bearer ${t.readKey}` };
    const paths = ['/api/v1/services', '/api/v1/hosts', '/api/v1/metrics/current'];
    const d = await counted(async () => {
      for (let i = 0; i < 3; i++) {
        for (const p of paths) {
          const r = await call(p, key);
          expect(r.status, `${p}: ${r.body}`).toBe(200);
        }
      }
    });
    expect(d.ws).toBe(0);
    expect(d.sql).toBeGreaterThanOrEqual(1 + 3 * 3); // the key lookup, then each route's reads
  });

  it('none for session authentication and the account read routes', async () => {
    const cookie = { cookie: owner.cookie! };
    const paths = ['/api/v1/auth/me', '/api/v1/orgs', '/api/v1/members', '/api/v1/invitations', '/api/v1/keys', '/api/v1/audit', '/api/v1/services', '/api/v1/hosts'];
    const d = await counted(async () => {
      for (const p of paths) {
        const r = await call(p, cookie);
        expect(r.status, `${p}: ${r.body}`).toBe(200);
      }
    });
    expect(d.ws).toBe(0);
    expect(d.sql).toBeGreaterThanOrEqual(2 * paths.length); // the session lookup and the route's read, each
  });

  it('a transaction still opens one (the count sees the WebSocket path)', async () => {
    const d = await counted(async () => {
      const r = await call('/api/v1/keys', { cookie: owner.cookie!, 'x-csrf-token': owner.csrf!, 'content-type': 'application/json', origin: BASE }, { method: 'POST', body: JSON.stringify({ name: 'conn test', scope: 'read' }) });
      expect(r.status, r.body).toBe(201);
    });
    expect(d.ws).toBe(1);
    expect(d.sql).toBeGreaterThanOrEqual(1); // the session lookup
  });

  it('an unknown key or session is still a 401 over the HTTP path', async () => {
    expect((await call('/api/v1/services', { authorization: 'Bearer mk_read_nosuchkey' })).status).toBe(401);
    expect((await call('/api/v1/services', { cookie: 'pulse_session=nosuchsession' })).status).toBe(401);
  });
});

describe('a database that cannot be reached, over the HTTP path', () => {
  // Nothing listens on port 1: the shim's /sql answers 500 (as Neon's endpoint), never a 400.
  const down = new URL(env.DATABASE_URL);
  down.port = '1';
  const downEnv = { ...env, DATABASE_URL: down.toString() } as Env;
  const callDown = async (path: string, headers: Record<string, string>) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${BASE}${path}`, { headers }), downEnv, ctx);
    await waitOnExecutionContext(ctx);
    return { status: res.status, body: (await res.json()) as { error: { code: string } } };
  };

  it('is a 500 internal error for a key lookup, a session lookup and a read route, not a 4xx', async () => {
    clearKeyCache();
    const unknownKey = await callDown('/api/v1/services', { authorization: `Bearer ${t.readKey}` });
    expect(unknownKey).toEqual({ status: 500, body: { error: { code: 'internal', message: 'internal error' } } });
    const session = await callDown('/api/v1/services', { cookie: owner.cookie! });
    expect(session).toEqual({ status: 500, body: { error: { code: 'internal', message: 'internal error' } } });
    // A key known to this isolate authenticates from the cache; the route's own read then fails.
    expect((await call('/api/v1/services', { authorization: `Bearer ${t.readKey}` })).status).toBe(200);
    const route = await callDown('/api/v1/services', { authorization: `Bearer ${t.readKey}` });
    expect(route).toEqual({ status: 500, body: { error: { code: 'internal', message: 'internal error' } } });
  });
});
