// A WebSocket-to-TCP shim so that Neon's serverless driver (which speaks Postgres over a
// WebSocket) reaches a plain local Postgres, and the stand-in for Neon's HTTP query endpoint
// (`POST /sql`, the driver's `neon()` over fetch), which answers from pooled connections as
// Neon's does. Only loopback targets are allowed: it is a dev and test tool, never an open proxy.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import pg from 'pg';
import type { WebSocketServer as WSS } from 'ws';

// Loaded through require: under Vite's resolver the package's browser stub is picked otherwise.
const { WebSocketServer } = createRequire(import.meta.url)('ws') as { WebSocketServer: typeof WSS };

export interface ShimStats {
  /** WebSocket upgrades (each a new Postgres connection), by target address (host:port). */
  websockets: Record<string, number>;
  /** POST /sql statements answered, by the connection string's host. */
  sql: Record<string, number>;
}

export interface Shim {
  port: number;
  /** Value for PG_WS_PROXY (host:port, no scheme). */
  proxy: string;
  /** Counts since start; also served as JSON at GET /stats (tests and benchmarks read it). */
  stats(): ShimStats;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

// Values go back as Postgres' text, as Neon's endpoint sends them ("Neon-Raw-Text-Output"); the
// driver parses them by each field's type.
const RAW_TEXT = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

/**
 * How Neon's endpoint answers a failure: a Postgres error (one with a SQLSTATE, raised by the
 * server) is 400 with its fields, which the driver turns into a NeonDbError carrying them; a
 * failure to reach or keep the database (refused, terminated, timed out) is a 5xx with an empty
 * code (seen from Neon: 500 {"message":"Control plane request failed","code":""}), which the driver
 * reports as "Server error (HTTP status 500)". Answering those 400 would dress a lost connection as
 * a query error carrying a Node errno (ECONNREFUSED) where a SQLSTATE belongs.
 */
export function sqlFailure(err: unknown): { status: number; body: Record<string, unknown> } {
  const e = (err ?? {}) as Record<string, unknown>;
  if (err instanceof pg.DatabaseError && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    return { status: 400, body: { message: String(e.message), code: e.code, detail: e.detail, hint: e.hint, position: e.position, severity: e.severity } };
  }
  return { status: 500, body: { message: `Couldn't connect to the database: ${String(e.message ?? err)}`, code: '' } };
}

/** One small pool per connection string (a shim serves one local Postgres in practice). */
function sqlEndpoint(counts: ShimStats['sql']) {
  const pools = new Map<string, pg.Pool>();
  const pool = (connectionString: string) => {
    let p = pools.get(connectionString);
    if (!p) {
      p = new pg.Pool({ connectionString, max: 8, idleTimeoutMillis: 30_000 });
      p.on('error', () => {}); // an idle client's error: the pool drops it, the next query reconnects
      pools.set(connectionString, p);
    }
    return p;
  };
  const answer = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const target = String(req.headers['neon-connection-string'] ?? '');
    let host = '';
    try {
      host = new URL(target).hostname.replace(/^\[|\]$/g, '');
    } catch {
      /* reported below */
    }
    if (req.method !== 'POST' || !LOOPBACK.has(host)) return answer(res, 400, { message: 'POST /sql with a loopback Neon-Connection-String only' });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: { query?: string; params?: unknown[]; queries?: { query: string; params: unknown[] }[] };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return answer(res, 400, { message: 'the body is not JSON' });
    }
    if (body.queries) return answer(res, 400, { message: 'transactions over /sql are not supported by the local shim' });
    counts[host] = (counts[host] ?? 0) + 1;
    try {
      const r = await pool(target).query({ text: String(body.query), values: body.params ?? [], rowMode: 'array', types: RAW_TEXT });
      answer(res, 200, { command: r.command, rowCount: r.rowCount, rows: r.rows, fields: r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })) });
    } catch (err) {
      const f = sqlFailure(err);
      answer(res, f.status, f.body);
    }
  };
  return {
    handler: (req: http.IncomingMessage, res: http.ServerResponse) => void handle(req, res).catch((err) => answer(res, 500, { message: String((err as Error).message ?? err), code: '' })),
    close: () => Promise.all([...pools.values()].map((p) => p.end())),
  };
}

export async function startPgWsShim(port = 0): Promise<Shim> {
  const counts: ShimStats = { websockets: {}, sql: {} };
  const stats = (): ShimStats => ({ websockets: { ...counts.websockets }, sql: { ...counts.sql } });
  const sqlHttp = sqlEndpoint(counts.sql);
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(stats()));
    }
    sqlHttp.handler(req, res);
  });
  const wss = new WebSocketServer({ server });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
    server.listen(port, '127.0.0.1');
  });
  wss.on('connection', (ws, req) => {
    const address = new URL(req.url ?? '/', 'http://x').searchParams.get('address') ?? '';
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i);
    const targetPort = Number(address.slice(i + 1));
    if (!LOOPBACK.has(host) || !Number.isInteger(targetPort)) {
      ws.close(1008, 'only loopback Postgres targets are allowed');
      return;
    }
    counts.websockets[address] = (counts.websockets[address] ?? 0) + 1;
    const socket = net.connect({ host: host === 'localhost' ? '127.0.0.1' : host, port: targetPort });
    socket.setNoDelay(true);
    const pending: Buffer[] = [];
    let open = false;
    socket.on('connect', () => {
      open = true;
      for (const b of pending) socket.write(b);
      pending.length = 0;
    });
    ws.on('message', (data: Buffer) => (open ? socket.write(data) : pending.push(data)));
    socket.on('data', (chunk) => ws.readyState === ws.OPEN && ws.send(chunk));
    ws.on('close', () => socket.destroy());
    ws.on('error', () => socket.destroy());
    socket.on('close', () => ws.close(1000));
    socket.on('error', () => ws.close());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    proxy: `127.0.0.1:${actual}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => server.close(() => void sqlHttp.close().then(() => resolve(), () => resolve())));
        server.closeAllConnections();
      }),
  };
}
