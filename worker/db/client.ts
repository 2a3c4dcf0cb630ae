// Postgres access from workerd. Production talks to Neon through its serverless driver over
// WebSocket; locally the same driver reaches a plain Postgres through scripts/lib/pg-ws-shim.ts
// (PG_WS_PROXY), so the code path under test is the production one (docs/architecture.md).
import { Client, neon, neonConfig } from '@neondatabase/serverless';
import { drizzle as drizzleHttp, type NeonHttpDatabase } from 'drizzle-orm/neon-http';
import { drizzle, type NeonDatabase } from 'drizzle-orm/neon-serverless';
import * as schema from './schema.ts';

export type Db = NeonDatabase<typeof schema>;

export interface DbEnv {
  DATABASE_URL: string;
  PG_WS_PROXY?: string;
}

let configuredProxy: string | undefined;
function configure(env: DbEnv) {
  if (!env.PG_WS_PROXY || configuredProxy === env.PG_WS_PROXY) return;
  const proxy = env.PG_WS_PROXY;
  neonConfig.wsProxy = (host, port) => `${proxy}/v2?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
  // The shim also stands in for Neon's HTTP query endpoint (scripts/lib/pg-ws-shim.ts).
  neonConfig.fetchEndpoint = () => `http://${proxy}/sql`;
  configuredProxy = proxy;
}

/**
 * Runs `fn` with a connection that lives only for this call: Workers forbid sharing sockets
 * across requests, so each request or alarm opens and closes its own.
 */
export async function withDb<T>(env: DbEnv, fn: (db: Db) => Promise<T>): Promise<T> {
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not configured');
  configure(env);
  const client = new Client({ connectionString: env.DATABASE_URL });
  let ended = false;
  // workerd reports the socket's teardown after end() as an error event; only errors before
  // that are real (and those also reject the query that hit them).
  client.on('error', (err) => {
    if (!ended) console.warn(JSON.stringify({ msg: 'postgres connection error', error: (err as Error).message ?? String(err) }));
  });
  await client.connect();
  try {
    return await fn(drizzle(client, { schema }));
  } finally {
    ended = true;
    await client.end();
  }
}

export type ReadDb = NeonHttpDatabase<typeof schema>;

let http: { url: string; db: ReadDb } | null = null;

/**
 * Single statements over Neon's HTTP query endpoint (a fetch per statement): no connection is
 * set up in the request, since Neon's proxy answers from its pooled connections. What a
 * WebSocket connection per request cost a read route here was most of its time
 * (docs/performance.md, "Traces", "Read routes over HTTP"). Each statement commits on its own:
 * no transactions, no session state, nothing that must see another statement's write (those
 * stay on withDb). The drizzle instance holds no I/O (the fetch happens in the calling
 * request), so one per isolate is reused rather than rebuilt per request.
 */
export function httpDb(env: DbEnv): ReadDb {
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not configured');
  configure(env);
  if (http?.url !== env.DATABASE_URL) http = { url: env.DATABASE_URL, db: drizzleHttp(neon(env.DATABASE_URL), { schema }) };
  return http.db;
}
