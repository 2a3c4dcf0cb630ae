// The shim's stand-in for Neon's HTTP query endpoint answers failures as Neon does: a Postgres
// error is 400 with its SQLSTATE (the driver's NeonDbError carries the fields), a database that
// cannot be reached is a 5xx (the driver's "Server error"), never a 400 with a Node errno as code.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { neon, neonConfig } from '@neondatabase/serverless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgWsShim, type Shim } from './pg-ws-shim.ts';
import { startPostgres, type RunningPostgres } from './postgres.ts';

let pgRun: RunningPostgres;
let shim: Shim;

beforeAll(async () => {
  pgRun = await startPostgres({ dataDir: path.join(os.tmpdir(), `monitor-shim-test-${process.pid}`), persistent: false });
  shim = await startPgWsShim();
  neonConfig.fetchEndpoint = () => `http://${shim.proxy}/sql`;
}, 120_000);

afterAll(async () => {
  await shim?.close();
  await pgRun?.stop();
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const post = (connectionString: string, body: string) =>
  fetch(`http://${shim.proxy}/sql`, { method: 'POST', headers: { 'neon-connection-string': connectionString, 'content-type': 'application/json' }, body });

describe('POST /sql failures', () => {
  it('answers a query and counts the statement by host', async () => {
    const before = shim.stats().sql['127.0.0.1'] ?? 0;
    const sql = neon(pgRun.url);
    expect(await sql`SELECT ${41}::int + 1 AS n`).toEqual([{ n: 42 }]);
    expect(shim.stats().sql['127.0.0.1']).toBe(before + 1);
    const served = (await (await fetch(`http://${shim.proxy}/stats`)).json()) as { sql: Record<string, number> };
    expect(served.sql['127.0.0.1']).toBe(before + 1);
  });

  it('a Postgres error is 400 with its SQLSTATE, and the driver keeps the fields', async () => {
    const res = await post(pgRun.url, JSON.stringify({ query: 'SELECT * FROM no_such_table', params: [] }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: '42P01', severity: 'ERROR', message: expect.stringContaining('no_such_table') });
    const err = await neon(pgRun.url)`SELECT * FROM no_such_table`.catch((e: unknown) => e as { code?: string; message: string });
    expect(err).toMatchObject({ code: '42P01' });
  });

  it('a database that cannot be reached is a 500 with an empty code, as from Neon', async () => {
    const down = `postgres://postgres:postgres@127.0.0.1:${await closedPort()}/monitor`;
    const res = await post(down, JSON.stringify({ query: 'SELECT 1', params: [] }));
    expect(res.status).toBe(500);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('');
    expect(body.message).toMatch(/connect/i);
    const err = (await neon(down)`SELECT 1`.catch((e: unknown) => e)) as { code?: string; message: string };
    expect(err.message).toMatch(/^Server error \(HTTP status 500\)/);
    expect(err.code).not.toBe('ECONNREFUSED');
  });

  it('a body that is not JSON is the caller\'s mistake: 400', async () => {
    const res = await post(pgRun.url, '{not json');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: 'the body is not JSON' });
  });

  it('still refuses batched transactions and non-loopback targets', async () => {
    const batch = await post(pgRun.url, JSON.stringify({ queries: [{ query: 'SELECT 1', params: [] }] }));
    expect(batch.status).toBe(400);
    const remote = await post('postgres://u:p@db.example.com:5432/x', JSON.stringify({ query: 'SELECT 1', params: [] }));
    expect(remote.status).toBe(400);
  });
});

describe('WebSocket upgrades', () => {
  it('are counted by target address', async () => {
    const { WebSocket } = await import('ws');
    const address = `127.0.0.1:${new URL(pgRun.url).port}`;
    const before = shim.stats().websockets[address] ?? 0;
    const ws = new WebSocket(`ws://${shim.proxy}/v2?address=${address}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.close();
    expect(shim.stats().websockets[address]).toBe(before + 1);
  });
});
