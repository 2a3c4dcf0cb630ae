// npm run bench:alerts -- --alerts N [--concurrency C] [--transport ws|http]
// Starts the local stack, points a webhook channel at a local receiver, creates a rule with
// for: 0, and for each of N hosts sends one breaching sample (--transport ws, the default: a
// frame on the host's ingest stream; http: a POST), timing the send to the webhook's arrival at
// the receiver. Each host first sends a quiet sample so its object (and stream) is warm.
// Last line: alert latency: p50 <ms> ms, p99 <ms> ms, delivered <n>/<n>
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { startStack } from '../scripts/lib/stack.ts';
import { startRecorder } from '../test/recorder.ts';
import { sha256Hex } from '../worker/auth/crypto.ts';
import { createApiKey, findKeyByHash } from '../worker/db/tenants.ts';
import { benchDataDir, parseArgs, percentile } from './args.ts';
import { hostSender, parseTransport } from './lib/host-stream.ts';

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

async function main() {
  const args = parseArgs(process.argv.slice(2), { alerts: 50, concurrency: 4, data: 'tmpfs', transport: 'ws' });
  const transport = parseTransport(args.transport);
  const log = (m: string) => console.error(`[bench] ${m}`);
  const arrived = new Map<string, number>(); // host -> arrival time (performance.now)
  const recorder = await startRecorder((r) => {
    if (!r.path.startsWith('/bench/')) return;
    const body = JSON.parse(r.body) as { host: { id: string }; alerts: { status: string }[] };
    if (body.alerts.some((a) => a.status === 'firing') && !arrived.has(body.host.id)) arrived.set(body.host.id, performance.now());
  });
  const stack = await startStack({ dataDir: benchDataDir(args.data, 'monitor-bench-alerts'), persistent: false, rateLimits: false, log });
  try {
    const { url, credentials } = stack;
    const admin = await adminKeyFor(stack.databaseUrl, credentials.ingestKey);
    const call = async (method: string, p: string, body?: unknown, key = admin) => {
      const res = await fetch(`${url}${p}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    };
    // Only the bench rule: the defaults (host down after 60 s among them) would add noise.
    const { rules } = (await call('GET', '/api/v1/alerts/rules')) as { rules: { id: string }[] };
    for (const r of rules) await call('DELETE', `/api/v1/alerts/rules/${r.id}`);
    const ch = (await call('POST', '/api/v1/alerts/channels', { name: 'bench', type: 'webhook', config: { url: `${recorder.url}/bench/hook`, secret: 'bench-secret-0123456789' } })) as { id: string };
    await call('POST', '/api/v1/alerts/rules', { name: 'bench', metric: 'custom.bench', comparator: '>', threshold: 50, for: 0, severity: 'WARNING', channel_ids: [ch.id] });

    const hosts = Array.from({ length: args.alerts }, (_, i) => `alert-${String(i).padStart(5, '0')}`);
    const sender = hostSender(transport, url, credentials.ingestKey);
    const send = async (host: string, ts: number, value: number) => {
      const r = await sender.send({ host: { id: host, name: host, os: 'linux', agentVersion: 'bench' }, batchId: `${host}-${ts}`, samples: [{ ts, metrics: { 'custom.bench': value } }] });
      if (!r.ok) throw new Error(`send for ${host}: ${r.status} ${r.error}`);
    };
    log(`warming ${hosts.length} host objects`);
    const base = Date.now() - 60_000;
    for (let i = 0; i < hosts.length; i += args.concurrency) await Promise.all(hosts.slice(i, i + args.concurrency).map((h) => send(h, base, 1)));

    log(`${hosts.length} breaching samples, ${args.concurrency} at a time`);
    const started = new Map<string, number>();
    for (let i = 0; i < hosts.length; i += args.concurrency) {
      await Promise.all(
        hosts.slice(i, i + args.concurrency).map(async (h) => {
          started.set(h, performance.now());
          await send(h, base + 5000, 99);
        }),
      );
    }
    const deadline = Date.now() + 15_000;
    while (arrived.size < hosts.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const lat = hosts.filter((h) => arrived.has(h)).map((h) => arrived.get(h)! - started.get(h)!).sort((a, b) => a - b);
    await sender.close();
    log(`transport ${transport}`);
    console.log(`alert latency: p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms, delivered ${lat.length}/${hosts.length}`);
  } finally {
    await stack.stop();
    await recorder.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
