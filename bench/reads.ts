// npm run bench:reads -- [--requests N] [--data tmpfs|disk|DIR] [--via runtime|proxy]
// Read routes and authentication through the API of the local stack (worker, Neon's driver over
// the WebSocket shim or the shim's HTTP query endpoint, Postgres), one request at a time: each
// route N times with a read API key and N times with a session cookie, plus the ingest POST with
// an ingest key. For each it prints p50/p95 and how many WebSocket upgrades (each a new Postgres
// connection) and /sql statements the shim saw per request.
// Last line: reads: services p50 <ms> ms p95 <ms> ms, session services p50 <ms> ms, ws/request <n>
import { startStack } from '../scripts/lib/stack.ts';
import type { ShimStats } from '../scripts/lib/pg-ws-shim.ts';
import { benchDataDir, parseArgs, percentile } from './args.ts';
import { fullSample } from './full-sample.ts';

const log = (m: string) => console.error(`[bench] ${m}`);
const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

interface Row {
  name: string;
  p50: number;
  p95: number;
  wsPerRequest: number;
  sqlPerRequest: number;
}

async function measure(name: string, n: number, stats: () => ShimStats, call: () => Promise<Response>): Promise<Row> {
  for (let i = 0; i < 5; i++) await (await call()).arrayBuffer(); // warm-up (key cache, isolate)
  const before = stats();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await call();
    const text = await res.text();
    times.push(performance.now() - t);
    if (!res.ok) throw new Error(`${name} answered ${res.status}: ${text.slice(0, 200)}`);
  }
  const after = stats();
  times.sort((a, b) => a - b);
  return {
    name,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    wsPerRequest: (total(after.websockets) - total(before.websockets)) / n,
    sqlPerRequest: (total(after.sql) - total(before.sql)) / n,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { requests: 100, data: 'tmpfs', via: 'runtime' });
  if (args.via !== 'runtime' && args.via !== 'proxy') throw new Error('--via must be runtime or proxy');
  const stack = await startStack({ dataDir: benchDataDir(args.data, 'monitor-bench-reads'), persistent: false, rateLimits: false, runtimeUrl: args.via === 'runtime', log });
  try {
    const url = args.via === 'runtime' && stack.runtimeUrl ? stack.runtimeUrl : stack.url;
    const { ingestKey, readKey, email, password } = stack.credentials;
    // One host with a sample, so the host and current routes have a row to read.
    const hostId = 'bench-reads-host';
    const body = JSON.stringify({ host: { id: hostId, name: 'bench-reads', os: 'linux', agentVersion: '0.1.0' }, batchId: 'b-0', samples: [fullSample(Date.now(), 1)] });
    const first = await fetch(`${url}/api/v1/metrics/collect`, { method: 'POST', headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' }, body });
    if (!first.ok) throw new Error(`collect answered ${first.status}: ${await first.text()}`);
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: url }, body: JSON.stringify({ email, password }) });
    if (!login.ok) throw new Error(`login answered ${login.status}: ${await login.text()}`);
    const cookie = /pulse_session=[^;]*/.exec(login.headers.get('set-cookie') ?? '')?.[0];
    if (!cookie) throw new Error('login set no session cookie');
    const withKey = (path: string) => () => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${readKey}` } });
    const withCookie = (path: string) => () => fetch(`${url}${path}`, { headers: { cookie } });
    const n = args.requests;
    const rows: Row[] = [];
    const run = async (name: string, call: () => Promise<Response>) => {
      const r = await measure(name, n, stack.pgStats, call);
      log(`${r.name}: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, ${r.wsPerRequest.toFixed(2)} ws + ${r.sqlPerRequest.toFixed(2)} sql per request`);
      rows.push(r);
    };
    await run('key GET /api/v1/services', withKey('/api/v1/services'));
    await run('key GET /api/v1/hosts', withKey('/api/v1/hosts'));
    await run('key GET /api/v1/metrics/current', withKey('/api/v1/metrics/current'));
    await run('session GET /api/v1/services', withCookie('/api/v1/services'));
    await run('session GET /api/v1/keys', withCookie('/api/v1/keys'));
    await run('session GET /api/v1/members', withCookie('/api/v1/members'));
    await run('session GET /api/v1/audit', withCookie('/api/v1/audit'));
    await run('session GET /api/v1/orgs', withCookie('/api/v1/orgs'));
    let batch = 0;
    await run('key POST /api/v1/metrics/collect', () =>
      fetch(`${url}/api/v1/metrics/collect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ host: { id: hostId, name: 'bench-reads', os: 'linux', agentVersion: '0.1.0' }, batchId: `b-${++batch}`, samples: [fullSample(Date.now() + batch, batch)] }),
      }),
    );
    const reads = rows.filter((r) => r.name.includes('GET'));
    const ws = reads.reduce((a, r) => a + r.wsPerRequest, 0) / reads.length;
    const [svc, ses] = [rows[0]!, rows[3]!];
    console.log(`reads: services p50 ${svc.p50.toFixed(1)} ms p95 ${svc.p95.toFixed(1)} ms, session services p50 ${ses.p50.toFixed(1)} ms, ws/request ${ws.toFixed(2)}`);
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
