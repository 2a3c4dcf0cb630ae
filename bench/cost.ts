// npm run bench:cost -- --hosts N --seconds S [--transport http|http-deferred|ws] [--apps N] [--data tmpfs|disk|DIR]
// http: POST per sample, answered = stored; http-deferred: the same with `Pulse-Durability: deferred`
// (the object writes each 5-minute window once, as on the stream); ws: the agent's stream.
// N simulated hosts send full samples every 5 s (the agent's transport) and --apps application
// instances export OTLP traces and metrics every 5 s, against the local stack; the objects count
// what the platform bills as the runtime reports it (requests, alarms, SQLite rows read/written;
// durable-objects/cost-meter.ts, read through the dev-only GET /api/v1/dev/cost), this side counts
// Worker requests and WebSocket messages; the counts are scaled to a month and priced with the
// list prices in docs/scaling.md. Then every acknowledged host sample is checked in the raw tier.
// Last two lines: the OTLP instance (`otlp cost: $<x>/instance/month (...)`), then the host:
//   cost: $<x>/host/month (requests $<a>, messages $<b>, rows $<c>, duration $<d>), raw <B> bytes/point, lost <n>
import { gzipSync } from 'node:zlib';
import { Agent, fetch, setGlobalDispatcher } from 'undici';
import type { Sample } from '../protocol/ingest.ts';
import { startStack } from '../scripts/lib/stack.ts';
import { benchDataDir, parseArgs } from './args.ts';
import { fullSample, pointsIn } from './full-sample.ts';
import { loadPrices, type Prices } from './lib/prices.ts';
import { otlpInstance } from './lib/otlp-instance.ts';

const INTERVAL = 5000;
const MONTH_S = 30 * 86_400;
const log = (m: string) => console.error(`[bench] ${m}`);

interface Counters {
  requests: number;
  wsMessages: number;
  alarms: number;
  setAlarms: number;
  rowsRead: number;
  rowsWritten: number;
  /** Rows written by statement kind and table (durable-objects/sql-meter.ts). */
  writtenBy?: Record<string, number>;
  databaseSize: number;
  rawSamples?: number;
  raw?: { rows: number; pendingWindows: number; dirtyWindows: number };
}

/** How a host's samples travel: today's POST, or the agent's stream once the ws branch lands. */
interface Transport {
  send(samples: Sample[], opts?: { immediate?: boolean }): Promise<{ ok: boolean; durableThrough: number | null; error?: string }>;
  close(): Promise<void>;
  /** What the platform bills on this side of the wire. */
  workerRequests: number;
  wsMessages: number;
}

function httpTransport(url: string, key: string, host: string, deferred = false): Transport {
  const t: Transport = {
    workerRequests: 0,
    wsMessages: 0,
    async send(samples, opts = {}) {
      const body = gzipSync(JSON.stringify({ host: { id: host, name: host, os: 'linux', agentVersion: 'bench' }, batchId: `${host}-${samples[0]!.ts}`, samples }));
      t.workerRequests++;
      const headers: Record<string, string> = { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-encoding': 'gzip' };
      if (deferred && !opts.immediate) headers['pulse-durability'] = 'deferred'; // the object writes each window once
      const res = await fetch(`${url}/api/v1/metrics/collect`, { method: 'POST', headers, body });
      const text = await res.text();
      if (!res.ok) return { ok: false, durableThrough: null, error: `${res.status} ${text.slice(0, 200)}` };
      return { ok: true, durableThrough: (JSON.parse(text) as { durableThrough: number | null }).durableThrough };
    },
    async close() {},
  };
  return t;
}

/**
 * The seam for the stream transport: the ws branch adds bench/lib/host-stream.ts exporting
 * `hostStream(url, key, host)` with this Transport shape (one upgrade = one Worker request, then
 * one incoming message per sample).
 */
async function wsTransport(url: string, key: string, host: string): Promise<Transport> {
  const path = './lib/host-stream.ts';
  let mod: { hostStream?: (url: string, key: string, host: string) => Promise<Transport> };
  try {
    mod = (await import(path)) as typeof mod;
  } catch {
    throw new Error('--transport ws needs bench/lib/host-stream.ts (the agent stream, from the ws branch); use --transport http');
  }
  if (!mod.hostStream) throw new Error('bench/lib/host-stream.ts does not export hostStream(url, key, host)');
  return mod.hostStream(url, key, host);
}

async function counters(url: string, readKey: string, q: string): Promise<Counters> {
  const res = await fetch(`${url}/api/v1/dev/cost?${q}`, { headers: { authorization: `Bearer ${readKey}` } });
  const body = (await res.json()) as { counters: Counters | null };
  if (!res.ok || !body.counters) throw new Error(`cost counters for ${q}: ${res.status} ${JSON.stringify(body).slice(0, 200)} (is COST_COUNTERS on?)`);
  return body.counters;
}

const diff = (a: Counters, b: Counters) => ({
  requests: b.requests - a.requests,
  wsMessages: b.wsMessages - a.wsMessages,
  alarms: b.alarms - a.alarms,
  setAlarms: b.setAlarms - a.setAlarms,
  rowsRead: b.rowsRead - a.rowsRead,
  rowsWritten: b.rowsWritten - a.rowsWritten,
  writtenBy: Object.fromEntries(Object.entries(b.writtenBy ?? {}).map(([k, v]) => [k, v - (a.writtenBy?.[k] ?? 0)])),
});

/** Rows written per object in the run, by cause (setAlarm is billed as a row written), largest first. */
function rowsByCause(ds: ReturnType<typeof diff>[]): string {
  const total: Record<string, number> = {};
  for (const x of ds) {
    for (const [k, v] of Object.entries(x.writtenBy)) total[k] = (total[k] ?? 0) + v;
    total.setAlarm = (total.setAlarm ?? 0) + x.setAlarms;
  }
  const n = Math.max(1, ds.length);
  return Object.entries(total)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${(v / n).toFixed(2)}`)
    .join(', ');
}

interface Monthly {
  workerRequests: number;
  objectRequests: number;
  wsMessages: number;
  rowsWritten: number;
  rowsRead: number;
  storageBytes: number;
  activeSeconds: number;
}

function price(m: Monthly, p: Prices) {
  const requests = m.workerRequests * p.workerRequests + m.objectRequests * p.doRequests;
  const messages = (m.wsMessages / p.wsMessagesPerRequest) * p.doRequests;
  const rows = m.rowsWritten * p.sqlRowsWritten + m.rowsRead * p.sqlRowsRead + (m.storageBytes / 1e9) * p.sqlStorageGbMonth;
  const duration = m.activeSeconds * p.doMemoryGb * p.doDurationGbS;
  return { total: requests + messages + rows + duration, requests, messages, rows, duration };
}

const usd = (v: number) => (v >= 0.01 ? v.toFixed(3) : v.toFixed(4));
function costLine(c: ReturnType<typeof price>, bytesPerPoint: number | null, lost: number) {
  return `cost: $${usd(c.total)}/host/month (requests $${usd(c.requests)}, messages $${usd(c.messages)}, rows $${usd(c.rows)}, duration $${usd(c.duration)}), raw ${bytesPerPoint === null ? 'n/a' : bytesPerPoint.toFixed(2)} bytes/point, lost ${lost}`;
}

/** Bytes per point on disk: a probe host gets 7 h of full samples; the database grows per point by this. */
async function rawBytesPerPoint(url: string, key: string, readKey: string, host: string): Promise<number> {
  const start = Math.floor((Date.now() - 23 * 3600_000) / 3600_000) * 3600_000 + 3600_000;
  const post = async (samples: Sample[]) => {
    const res = await fetch(`${url}/api/v1/metrics/collect`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify({ host: { id: host, name: host, os: 'linux', agentVersion: 'bench' }, batchId: `${host}-${samples[0]!.ts}`, samples })) });
    if (!res.ok) throw new Error(`probe post: ${res.status} ${(await res.text()).slice(0, 200)}`);
  };
  const hour = (h: number) => Array.from({ length: 720 }, (_, i) => fullSample(start + h * 3600_000 + i * INTERVAL, 11));
  for (let i = 0; i < 720; i += 180) await post(hour(0).slice(i, i + 180));
  const before = await counters(url, readKey, `host=${host}`);
  let points = 0;
  for (let h = 1; h < 7; h++) {
    const samples = hour(h);
    for (let i = 0; i < 720; i += 180) await post(samples.slice(i, i + 180));
    points += samples.reduce((a, s) => a + pointsIn(s), 0);
  }
  const after = await counters(url, readKey, `host=${host}`);
  return (after.databaseSize - before.databaseSize) / points;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { hosts: 20, seconds: 600, transport: 'http', apps: 2, data: 'tmpfs', concurrency: 64 });
  if (!['http', 'http-deferred', 'ws'].includes(args.transport)) throw new Error(`--transport must be http, http-deferred or ws, got "${args.transport}"`);
  const prices = loadPrices();
  setGlobalDispatcher(new Agent({ connections: args.concurrency, keepAliveTimeout: 30_000 }));
  const stack = await startStack({ dataDir: benchDataDir(args.data, 'monitor-bench-cost'), persistent: false, rateLimits: false, runtimeUrl: true, costCounters: true, log });
  const url = stack.runtimeUrl ?? stack.url;
  const { ingestKey: key, readKey } = stack.credentials;
  const run = `c${process.pid}`;
  try {
    const hosts = Array.from({ length: args.hosts }, (_, i) => `${run}-h${i}`);
    const transports = await Promise.all(hosts.map((h) => (args.transport === 'ws' ? wsTransport(url, key, h) : Promise.resolve(httpTransport(url, key, h, args.transport === 'http-deferred')))));
    const apps = Array.from({ length: args.apps }, (_, i) => otlpInstance(url, key, `${run}-app${i}`, i));
    // Warm-up: each object's first request creates it (registration, alert config); not counted.
    const warmTs = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    await Promise.all(transports.map((t, i) => t.send([fullSample(warmTs, i)])));
    await Promise.all(apps.map((a) => a.exportOnce(Date.now() - 30_000))); // its spans fall before the checked range
    const base = await Promise.all(hosts.map((h) => counters(url, readKey, `host=${h}`)));
    // The host-down watchdog's shards (durable-objects/host-watch.ts), summed: they serve the whole
    // fleet, here this stack's streaming hosts, so their cost is shared by them.
    const watchBase = await counters(url, readKey, 'watch=1');
    const appBase = await Promise.all(apps.map((a) => counters(url, readKey, `service=${encodeURIComponent(a.service)}`)));
    const wr0 = transports.map((t) => t.workerRequests);
    const wm0 = transports.map((t) => t.wsMessages);
    apps.forEach((a) => a.resetCounts());

    const start = Math.ceil(Date.now() / INTERVAL) * INTERVAL + INTERVAL;
    const end = start + args.seconds * 1000;
    log(`${args.hosts} hosts (${args.transport}) and ${args.apps} OTLP instances x ${args.seconds} s against ${url}`);
    const acked = hosts.map(() => [] as number[]);
    // The sender's spool (deferred and stream transports): samples past the last durableThrough.
    const spool = hosts.map(() => new Map<number, Sample>());
    const latencies: number[] = [];
    let failures = 0;
    const errors: string[] = [];
    const inflight: Promise<void>[] = [];
    await new Promise<void>((resolve) => {
      let done = 0;
      const every = (i: number, phase: number, fn: (ts: number) => Promise<void>) => {
        let k = 0;
        const tick = () => {
          const ts = start + k * INTERVAL + phase;
          if (ts >= end) {
            if (++done === hosts.length + apps.length) resolve();
            return;
          }
          inflight.push(fn(ts));
          k++;
          setTimeout(tick, Math.max(0, start + k * INTERVAL + phase - Date.now()));
        };
        setTimeout(tick, Math.max(0, start + phase - Date.now()));
      };
      hosts.forEach((_, i) =>
        every(i, Math.floor((i / hosts.length) * INTERVAL), async (ts) => {
          const t0 = performance.now();
          const sample = fullSample(ts, i);
          spool[i]!.set(ts, sample);
          const sendOnce = () => transports[i]!.send([sample]).catch((err: unknown) => ({ ok: false, durableThrough: null, error: String(err) }));
          let r = await sendOnce();
          // A stream closed under a frame in flight (its maximum age): the agent reconnects and sends it again.
          if (!r.ok && r.error?.startsWith('closed')) r = await sendOnce();
          latencies.push(performance.now() - t0);
          if (r.ok) {
            acked[i]!.push(ts);
            if (r.durableThrough !== null) for (const k of spool[i]!.keys()) if (k <= r.durableThrough) spool[i]!.delete(k);
          } else {
            failures++;
            if (errors.length < 3) errors.push(r.error ?? 'failed');
          }
        }),
      );
      apps.forEach((a, i) => every(i, Math.floor((i / Math.max(1, apps.length)) * INTERVAL), () => a.exportOnce()));
    });
    await Promise.all(inflight);
    const seconds = (end - start) / 1000;
    const final = await Promise.all(hosts.map((h) => counters(url, readKey, `host=${h}`)));
    const watchFinal = await counters(url, readKey, 'watch=1');
    const wr1 = transports.map((t) => t.workerRequests);
    const wm1 = transports.map((t) => t.wsMessages);
    // After the measured run: a sender that stops hands over what is not yet durable, as the
    // agent does at shutdown (not counted; an idle object is evicted and forgets waiting samples).
    let handedOver = 0;
    await Promise.all(
      transports.map(async (t, i) => {
        const rest = [...spool[i]!.values()];
        handedOver += rest.length;
        for (let j = 0; j < rest.length; j += 200) {
          const r = await t.send(rest.slice(j, j + 200), { immediate: true });
          if (!r.ok) throw new Error(`hand-over failed: ${r.error}`);
        }
      }),
    );
    const appFinal = await Promise.all(apps.map((a) => counters(url, readKey, `service=${encodeURIComponent(a.service)}`)));

    const bytesPerPoint = await rawBytesPerPoint(url, key, readKey, `${run}-probe`);
    const perSample = pointsIn(fullSample(0, 0));
    const scale = MONTH_S / seconds;
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

    // Hosts, per host per month.
    const d = hosts.map((_, i) => diff(base[i]!, final[i]!));
    const w = diff(watchBase, watchFinal);
    // Per host: its own counts plus its share of the watchdog shards' (the fleet here is these hosts).
    const sum = (f: (x: ReturnType<typeof diff>) => number) => (d.reduce((a, x) => a + f(x), 0) + f(w)) / hosts.length;
    // Windows still waiting in memory will each be written once more (stream path).
    const pendingRows = final.reduce((a, c) => a + (c.raw?.dirtyWindows ?? 0), 0) / hosts.length;
    const workerRequests = transports.reduce((a, _t, i) => a + wr1[i]! - wr0[i]!, 0) / hosts.length;
    const wsMessages = transports.reduce((a, _t, i) => a + wm1[i]! - wm0[i]!, 0) / hosts.length;
    const objectRequests = sum((x) => x.requests + x.alarms);
    const hostMonth: Monthly = {
      workerRequests: workerRequests * scale,
      objectRequests: objectRequests * scale,
      wsMessages: wsMessages * scale,
      rowsWritten: (sum((x) => x.rowsWritten + x.setAlarms) + pendingRows) * scale,
      rowsRead: sum((x) => x.rowsRead) * scale,
      // 24 h of points at the measured density, plus the rest of the database as it stands.
      storageBytes: bytesPerPoint * perSample * (86_400_000 / INTERVAL) + mean(final.map((c) => c.databaseSize)),
      // Active only while handling a request (hibernation-eligible between): the answer time is an upper bound.
      activeSeconds: (objectRequests * scale * mean(latencies)) / 1000,
    };
    log(`host, per ${seconds} s: ${workerRequests.toFixed(1)} Worker requests, ${objectRequests.toFixed(1)} object requests (alarms ${sum((x) => x.alarms).toFixed(2)}), ${wsMessages.toFixed(1)} ws messages, ${sum((x) => x.rowsWritten).toFixed(1)} rows written (+${pendingRows.toFixed(2)} windows waiting, ${sum((x) => x.setAlarms).toFixed(2)} setAlarm), ${sum((x) => x.rowsRead).toFixed(0)} rows read; mean answer ${mean(latencies).toFixed(1)} ms`);
    log(`host rows written per ${seconds} s by cause: ${rowsByCause(d)}`);
    log(`host-down watchdog shards (all of them), per ${seconds} s for ${hosts.length} hosts: ${w.requests} requests, ${w.alarms} alarms, ${w.setAlarms} setAlarm, ${w.rowsWritten} rows written (included above, shared)`);
    log(`host, per month: ${Math.round(hostMonth.workerRequests)} Worker requests, ${Math.round(hostMonth.objectRequests)} object requests, ${Math.round(hostMonth.wsMessages)} ws messages, ${Math.round(hostMonth.rowsWritten)} rows written, ${Math.round(hostMonth.rowsRead)} rows read, ${(hostMonth.storageBytes / 1e6).toFixed(2)} MB stored, ${hostMonth.activeSeconds.toFixed(0)} s active`);

    // Every acknowledged host sample must be in the raw tier, once per 5 s bucket.
    let lost = 0;
    for (let i = 0; i < hosts.length; i++) {
      const q = `${url}/api/v1/metrics/history?host=${hosts[i]}&metric=cpu.usage.total&from=${start - INTERVAL}&to=${end + INTERVAL}&points=5000`;
      const res = await fetch(q, { headers: { authorization: `Bearer ${readKey}` } });
      const body = (await res.json()) as { stepMs: number; series: { points: { ts: number }[] }[] };
      if (!res.ok || body.stepMs !== INTERVAL) {
        lost += acked[i]!.length * perSample;
        continue;
      }
      const have = new Set((body.series[0]?.points ?? []).map((p) => p.ts));
      for (const ts of acked[i]!) if (!have.has(Math.floor(ts / INTERVAL) * INTERVAL)) lost += perSample;
    }

    // OTLP instances, per instance per month.
    const ad = apps.map((_, i) => diff(appBase[i]!, appFinal[i]!));
    const asum = (f: (x: ReturnType<typeof diff>) => number) => ad.reduce((a, x) => a + f(x), 0) / Math.max(1, apps.length);
    const appRequests = asum((x) => x.requests + x.alarms);
    const appMonth: Monthly = {
      workerRequests: (apps.reduce((a, x) => a + x.counts.posts, 0) / Math.max(1, apps.length)) * scale,
      objectRequests: appRequests * scale,
      wsMessages: 0,
      rowsWritten: asum((x) => x.rowsWritten + x.setAlarms) * scale,
      rowsRead: asum((x) => x.rowsRead) * scale,
      storageBytes: mean(appFinal.map((c) => c.databaseSize)),
      activeSeconds: (appRequests * scale * mean(apps.flatMap((a) => a.counts.latencies))) / 1000,
    };
    let appLost = 0;
    for (const a of apps) appLost += await a.lost(readKey, start - INTERVAL);
    log(`OTLP instance, per ${seconds} s: ${(appMonth.workerRequests / scale).toFixed(1)} Worker requests, ${appRequests.toFixed(1)} object requests, ${asum((x) => x.rowsWritten).toFixed(1)} rows written, ${asum((x) => x.rowsRead).toFixed(0)} rows read`);
    log(`OTLP instance rows written per ${seconds} s by cause: ${rowsByCause(ad)}`);
    log(`${handedOver} samples not yet durable at the end were handed over with immediate durability`);
    log(`${latencies.length} host sends, ${failures} failed${errors.length ? `: ${errors.join(' | ')}` : ''}; raw tier bytes/point from the database size of a probe host given 6 h of full samples`);

    console.log(`otlp ${costLine(price(appMonth, prices), null, appLost).replace('/host/month', '/instance/month')}`);
    console.log(costLine(price(hostMonth, prices), bytesPerPoint, lost));
    if (failures) process.exitCode = 1;
    await Promise.all(transports.map((t) => t.close()));
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(`[bench] failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
