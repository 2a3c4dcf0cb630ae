// npm run bench:slo -- [--services N] [--healthy S] [--concurrency C] [--data tmpfs|disk|DIR]
// Starts the local stack, points a signed webhook channel at a local receiver that checks every
// signature, and creates an availability SLO (99.9 %, 30 d; the workbook's burn-rate rules come
// with it) and a P95 rule (> 200 ms over 10 s) for every service. Each of N services first sends
// healthy OTLP traffic for S seconds (any alert then is false), then one breaching batch (half
// errors, every request slow) that breaks the SLO's fast burn (14.4x over 1 h and 5 m) and the
// P95 rule; measured from that POST's start to the arrival of a validly signed webhook holding
// both firing alerts.
// Last line: slo alert: p50 <ms> ms, p99 <ms> ms, delivered <n>/<n>, false <n>
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { startStack } from '../scripts/lib/stack.ts';
import { otlpTraces, type TestSpan } from '../test/otlp-body.ts';
import { startRecorder } from '../test/recorder.ts';
import { sha256Hex } from '../worker/auth/crypto.ts';
import { createApiKey, findKeyByHash } from '../worker/db/tenants.ts';
import { benchDataDir, parseArgs, percentile } from './args.ts';

const SECRET = 'bench-slo-secret-0123456789';
const BATCH = 200;

async function adminKeyFor(databaseUrl: string, ingestKey: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const db = drizzle(client);
    const key = await findKeyByHash(db, await sha256Hex(ingestKey));
    if (!key) throw new Error('seeded ingest key not found');
    return (await createApiKey(db, key.tenantId, 'admin', 'bench admin')).secret;
  } finally {
    await client.end();
  }
}

/** The receiver's check from docs/alerting.md, written apart from the sender's code. */
function signed(headers: Record<string, string>, body: string): boolean {
  const ts = headers['x-pulse-timestamp'];
  const sig = headers['x-pulse-signature'];
  if (!ts || !sig) return false;
  const want = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`);
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got);
}

interface Hook {
  service: { name: string } | null;
  alerts: { status: string; metric: string; threshold: number }[];
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { services: 20, healthy: 5, concurrency: 1, data: 'tmpfs' });
  const log = (m: string) => console.error(`[bench] ${m}`);
  const run = `s${process.pid}`;
  const services = Array.from({ length: args.services }, (_, i) => `${run}-svc-${String(i).padStart(3, '0')}`);
  const breachAt = new Map<string, number>(); // service -> POST start of its breaching batch (performance.now)
  const arrived = new Map<string, number>();
  const seen = new Map<string, Set<string>>(); // service -> firing alerts announced so far
  let falseAlerts = 0;
  let badSignatures = 0;
  const recorder = await startRecorder((r) => {
    if (!r.path.startsWith('/bench/')) return;
    const at = performance.now();
    if (!signed(r.headers, r.body)) return void badSignatures++;
    const body = JSON.parse(r.body) as Hook;
    const svc = body.service?.name;
    if (!svc) return;
    const firing = body.alerts.filter((a) => a.status === 'firing');
    if (!breachAt.has(svc)) return void (falseAlerts += firing.length);
    const s = seen.get(svc) ?? seen.set(svc, new Set()).get(svc)!;
    for (const a of firing) s.add(a.metric === 'slo.burn_rate' ? `burn ${a.threshold}` : a.metric);
    if (!arrived.has(svc) && s.has('burn 14.4') && s.has('service.latency.p95')) arrived.set(svc, at);
  });
  const stack = await startStack({ dataDir: benchDataDir(args.data, 'monitor-bench-slo'), persistent: false, rateLimits: false, log });
  try {
    const { url, credentials } = stack;
    const admin = await adminKeyFor(stack.databaseUrl, credentials.ingestKey);
    const call = async (method: string, p: string, body?: unknown, key = admin, type = 'application/json') => {
      const res = await fetch(`${url}${p}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': type }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    };
    // Only the bench's rules: the host defaults would add nothing but noise.
    const { rules } = (await call('GET', '/api/v1/alerts/rules')) as { rules: { id: string }[] };
    for (const r of rules) await call('DELETE', `/api/v1/alerts/rules/${r.id}`);
    const ch = (await call('POST', '/api/v1/alerts/channels', { name: 'bench', type: 'webhook', config: { url: `${recorder.url}/bench/hook`, secret: SECRET } })) as { id: string };
    await call('POST', '/api/v1/alerts/rules', { name: 'p95 over 200 ms', metric: 'service.latency.p95', comparator: '>', threshold: 200, window: 10_000, severity: 'CRITICAL', channel_ids: [ch.id] });
    for (const s of services) await call('POST', '/api/v1/slos', { name: `${s} availability`, service: s, kind: 'availability', objective: 0.999, window_days: 30, channel_ids: [ch.id] });
    log(`${services.length} services with an SLO (4 burn-rate rules each) and one P95 rule`);

    let seq = 0;
    const postMs: number[] = [];
    const post = (service: string, spans: TestSpan[]) => call('POST', '/v1/traces', otlpTraces(service, spans), credentials.ingestKey);
    const healthy = (): TestSpan[] => Array.from({ length: BATCH }, (_, i) => ({ route: `/r${i % 5}`, status: 200, durationMs: 5 + ((i * 37 + seq++) % 45), end: Date.now() - 50 }));
    const breaching = (): TestSpan[] => Array.from({ length: BATCH }, (_, i) => ({ route: `/r${i % 5}`, status: i % 2 ? 500 : 200, durationMs: 400 + (i % 200), end: Date.now() - 50 }));

    log(`healthy traffic for ${args.healthy} s (${BATCH}-span batches, p95 < 50 ms, no errors)`);
    const until = Date.now() + args.healthy * 1000;
    while (Date.now() < until) {
      for (let i = 0; i < services.length; i += args.concurrency) await Promise.all(services.slice(i, i + args.concurrency).map((s) => post(s, healthy())));
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1000)); // a false alert of the healthy phase would arrive by now
    log(`false alerts during the healthy phase: ${falseAlerts}; one breaching batch per service, ${args.concurrency} at a time`);
    for (let i = 0; i < services.length; i += args.concurrency)
      await Promise.all(
        services.slice(i, i + args.concurrency).map(async (s) => {
          const body = breaching();
          const t0 = performance.now();
          breachAt.set(s, t0);
          await post(s, body);
          postMs.push(performance.now() - t0);
        }),
      );
    const deadline = Date.now() + 15_000;
    while (arrived.size < services.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const lat = services.filter((s) => arrived.has(s)).map((s) => arrived.get(s)! - breachAt.get(s)!).sort((a, b) => a - b);
    postMs.sort((a, b) => a - b);
    log(`breaching POSTs answered: p50 ${percentile(postMs, 50).toFixed(1)} ms, p99 ${percentile(postMs, 99).toFixed(1)} ms`);
    if (badSignatures) log(`${badSignatures} webhook deliveries with a bad signature (not counted)`);
    console.log(`slo alert: p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms, delivered ${lat.length}/${services.length}, false ${falseAlerts}`);
    if (lat.length < services.length || falseAlerts || badSignatures) process.exitCode = 1;
  } finally {
    await stack.stop();
    await recorder.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
