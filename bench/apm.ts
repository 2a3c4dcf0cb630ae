// npm run bench:apm -- --seconds S [--rate SPANS_PER_S] [--services N] [--data tmpfs|disk|DIR] [--via runtime|proxy]
// Simulated services post OTLP protobuf batches of 512 spans (the SDK's default batch) to the
// local stack at a steady rate, while one WebSocket subscriber per service watches its live
// signals. Bodies are made by the official serializer (@opentelemetry/otlp-transformer) from
// spans made by the official SDK, once; each POST then gets fresh timestamps written into the
// body's fixed64 time fields (so every body is new and current) without re-encoding.
// Last line: apm: <spans/s> spans/s, ingest p99 <ms> ms, live p99 <ms> ms, lost <n>
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { monitorEventLoopDelay, performance as perf } from 'node:perf_hooks';
import pg from 'pg';
import { type SignalsResponse } from '../protocol/apm.ts';
import { startStack } from '../scripts/lib/stack.ts';
import { benchDataDir, parseArgs, percentile } from './args.ts';
import { startLiveWatch } from './lib/live-watch.ts';

const log = (m: string) => console.error(`[bench] ${m}`);
const BATCH = 512;
const ROUTES = ['/api/users/{id}', '/api/orders', '/api/search', '/api/cart', '/api/items/{id}', '/health', '/api/login', '/api/feed'];
/** Template time: a distinctive base whose fixed64 bytes are found in the body and rewritten. */
const T0_NS = 1_700_000_000_000_000_000n;

interface Template {
  body: Uint8Array;
  /** Offsets of every start/end fixed64 and the nanoseconds each holds relative to T0_NS. */
  fields: { at: number; rel: bigint }[];
  serverSpans: number;
}

/** One body of BATCH spans for `service`: half SERVER spans over the routes (5 % errors), half INTERNAL. */
function makeTemplate(service: string, seed: number): Template {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.name': `${service}-host`, 'service.version': '1.0.0' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('bench');
  let server = 0;
  const toHr = (ns: bigint): [number, number] => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
  for (let i = 0; i < BATCH; i++) {
    const isServer = i % 2 === 0;
    const route = ROUTES[(i + seed) % ROUTES.length]!;
    // Durations 1-200 ms, spread deterministically; ends within the body's second.
    const durNs = BigInt(1_000_000 + (((i * 7919 + seed * 104729) % 199_000) * 1000));
    const endNs = T0_NS + BigInt(i) * 1_000_000n; // i ms into the second (< 512 ms)
    const span = tracer.startSpan(isServer ? `GET ${route}` : 'db.query', {
      kind: isServer ? SpanKind.SERVER : SpanKind.INTERNAL,
      startTime: toHr(endNs - durNs),
      attributes: isServer
        ? { 'http.request.method': 'GET', 'http.route': route, 'url.path': route.replace('{id}', String(i)), 'http.response.status_code': i % 40 === 0 ? 500 : 200, 'server.address': 'bench', 'network.protocol.version': '1.1', 'user_agent.original': 'bench/1.0', 'client.address': '10.0.0.1', 'url.scheme': 'http' }
        : { 'db.system': 'postgresql', 'db.operation.name': 'SELECT', 'db.collection.name': 'items', 'server.address': 'db', 'server.port': 5432 },
    });
    if (isServer && i % 40 === 0) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(toHr(endNs));
    if (isServer) server++;
  }
  const spans = exporter.getFinishedSpans();
  const body = ProtobufTraceSerializer.serializeRequest(spans)!;
  // Find each span's start and end values in the body (fixed64, little-endian, after tags 0x39 / 0x41).
  const fields: { at: number; rel: bigint }[] = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const lo = T0_NS - 1_000_000_000n;
  const hi = T0_NS + 1_000_000_000n;
  for (let at = 1; at + 8 <= body.length; at++) {
    const tag = body[at - 1];
    if (tag !== 0x39 && tag !== 0x41) continue;
    const v = view.getBigUint64(at, true);
    if (v >= lo && v <= hi) fields.push({ at, rel: v - T0_NS });
  }
  if (fields.length !== BATCH * 2) throw new Error(`template: found ${fields.length} time fields, expected ${BATCH * 2}`);
  return { body, fields, serverSpans: server };
}

/**
 * A fresh copy of the template whose spans end in the current second. `unique` shifts every
 * time by that many microseconds (mod 1000), so no two bodies of a second are the same (up to
 * 1,000 POSTs/s): the service counts an identical body once (an SDK's retry), and real SDK
 * batches never repeat.
 */
function stamp(t: Template, secNs: bigint, unique: number): Uint8Array {
  const out = t.body.slice();
  const view = new DataView(out.buffer);
  // Whole microseconds (< 1 ms): stored spans' start times have microsecond resolution, and a
  // shift below it made most bodies' stored rows the same keys as an earlier body's (skipped).
  const shift = secNs + BigInt((unique % 1000) * 1000);
  for (const f of t.fields) view.setBigUint64(f.at, shift + f.rel, true);
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { seconds: 30, rate: 50_000, services: 10, concurrency: 64, data: 'tmpfs', via: 'runtime', url: '', key: '', readKey: '' });
  if (args.via !== 'runtime' && args.via !== 'proxy') throw new Error(`--via must be runtime or proxy, got "${args.via}"`);
  let stack: Awaited<ReturnType<typeof startStack>> | null = null;
  let { url, key, readKey } = args;
  if (!url) {
    stack = await startStack({ dataDir: benchDataDir(args.data, 'monitor-bench-apm'), persistent: false, rateLimits: false, runtimeUrl: args.via === 'runtime', log });
    url = args.via === 'runtime' && stack.runtimeUrl ? stack.runtimeUrl : stack.url;
    key = stack.credentials.ingestKey;
    readKey = stack.credentials.readKey;
  }
  let watch: Awaited<ReturnType<typeof startLiveWatch>> | null = null;
  try {
    const run = `b${process.pid}`;
    const services = Array.from({ length: args.services }, (_, i) => `${run}-svc-${i}`);
    const templates = services.map((s, i) => makeTemplate(s, i));
    log(`${services.length} services, ${BATCH}-span protobuf bodies of ~${Math.round(templates[0]!.body.length / 1024)} KiB; target ${args.rate} spans/s for ${args.seconds} s`);

    // Acknowledged server spans per service and second, and when each POST of a second was sent.
    const acked = new Map<string, number>(); // `${service}|${sec}` -> cumulative server spans acknowledged
    const posts: { service: string; sec: number; t0: number; cumulative: number }[] = [];
    const latencies: number[] = [];
    const slowAt: number[] = []; // when each POST over 100 ms started: is the tail spread or bunched?
    let failed = 0;
    let spansAcked = 0;

    let seq = 0;
    const post = async (svc: number, nowMs: number) => {
      const sec = Math.floor(nowMs / 1000);
      const body = stamp(templates[svc]!, BigInt(sec) * 1_000_000_000n, seq++);
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-protobuf' }, body: body as Uint8Array<ArrayBuffer> });
      await res.arrayBuffer();
      const ms = performance.now() - t0;
      if (res.status !== 200) {
        failed++;
        return;
      }
      latencies.push(ms);
      if (ms > 100) slowAt.push(t0);
      spansAcked += BATCH;
      const k = `${services[svc]}|${sec}`;
      const cumulative = (acked.get(k) ?? 0) + templates[svc]!.serverSpans;
      acked.set(k, cumulative);
      posts.push({ service: services[svc]!, sec, t0, cumulative });
    };

    // Warm up: one post per service creates the objects; then subscribe.
    await Promise.all(services.map((_, i) => post(i, Date.now())));
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${url}/api/v1/services`, { headers: { authorization: `Bearer ${readKey}` } });
      const names = new Set(((await res.json()) as { services: { name: string }[] }).services.map((s) => s.name));
      if (services.every((s) => names.has(s))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Live arrivals (bench/lib/live-watch.ts, in a thread of its own): per service and second, the
    // requests the pushes reported, with arrival times; and when each signals push arrived.
    watch = await startLiveWatch({ url, readKey, services, timeOrigin: performance.timeOrigin });
    log(`${watch.count} live subscribers connected (in their own thread)`);
    posts.length = 0;
    latencies.length = 0;
    slowAt.length = 0;
    spansAcked = 0;

    // Postgres's side of the run (stderr only): connections opened and span rows stored.
    const pgStats = async () => {
      if (!stack) return null;
      const c = new pg.Client({ connectionString: stack.databaseUrl });
      await c.connect();
      try {
        const r = await c.query(`SELECT (SELECT sessions FROM pg_stat_database WHERE datname = current_database())::int AS sessions, (SELECT count(*) FROM spans)::int AS spans`);
        return r.rows[0] as { sessions: number; spans: number };
      } finally {
        await c.end();
      }
    };
    const pgBefore = await pgStats();
    // Open loop: a POST every 1/(rate/BATCH) s, round robin over services, at most `concurrency` in flight.
    const interval = (1000 * BATCH) / args.rate;
    // The client's own event loop (load generator and, in this process, the stack's shim to
    // Postgres; the subscribers have their own thread): its delays are in the ingest figures.
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const eluStart = perf.eventLoopUtilization();
    const start = performance.now();
    const startWall = Date.now();
    let inFlight = 0;
    let dropped = 0;
    let n = 0;
    const pending = new Set<Promise<void>>();
    while (performance.now() - start < args.seconds * 1000) {
      const due = start + n * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (inFlight >= args.concurrency) {
        dropped++; // the stack is not keeping up: counted, not queued without bound
      } else {
        inFlight++;
        const p = post(n % services.length, Date.now()).finally(() => {
          inFlight--;
          pending.delete(p);
        });
        pending.add(p);
      }
      n++;
      if (n % Math.round(args.rate / BATCH) === 0) log(`${Math.round((performance.now() - start) / 1000)} s: ${spansAcked} spans acknowledged, ${inFlight} in flight, ${dropped} not sent (concurrency cap)`);
    }
    await Promise.all(pending);
    const elapsed = (performance.now() - start) / 1000;
    loopDelay.disable();
    log(`client event loop: ${(100 * perf.eventLoopUtilization(eluStart).utilization).toFixed(0)} % busy, delay p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms`);
    const pgAfter = await pgStats();
    await new Promise((r) => setTimeout(r, 2500)); // the last pushes (at most a second behind)
    const watched = await watch.stop();
    watch = null;
    const seen = new Map(watched.seen);
    const pushTimes = new Map(watched.pushTimes);
    const pgSettled = await pgStats(); // rows the drains were still writing at the end

    // Live: a POST is delivered when a push for its second reports at least its cumulative count.
    const live: number[] = [];
    let undelivered = 0;
    // A POST is "late" when the first push after it was sent does not carry it: it waits a whole
    // interval more. Late share ≈ (POST→object + push→subscriber + the pushes' lateness) / 1 s,
    // and live p99 < 1 s needs it under 1 %. How close before that push late POSTs were sent
    // (the "late window") is the first two of those delays, seen from the client.
    const lateWindow: number[] = [];
    const lateAt: number[] = []; // when each late POST started: spread evenly, or bunched in stalls?
    for (const p of posts) {
      const hit = (seen.get(`${p.service}|${p.sec}`) ?? []).find((x) => x.requests >= p.cumulative);
      if (hit) live.push(hit.at - p.t0);
      else undelivered++;
      const first = (pushTimes.get(p.service) ?? []).find((at) => at > p.t0);
      if (hit && first !== undefined && hit.at > first) {
        lateWindow.push(first - p.t0);
        lateAt.push(p.t0);
      }
    }
    lateWindow.sort((a, b) => a - b);
    log(`late POSTs (missed the first push after them): ${lateWindow.length} of ${posts.length} (${((100 * lateWindow.length) / Math.max(1, posts.length)).toFixed(2)} %)${lateWindow.length ? `, sent p50 ${percentile(lateWindow, 50).toFixed(1)} ms / p90 ${percentile(lateWindow, 90).toFixed(1)} ms before that push arrived` : ''}`);
    // Lost: acknowledged server spans missing from each service's signals.
    let lost = 0;
    for (const s of services) {
      const res = await fetch(`${url}/api/v1/services/${encodeURIComponent(s)}/signals?from=${startWall - 120_000}&to=${Date.now() + 1000}&points=5000`, { headers: { authorization: `Bearer ${readKey}` } });
      const body = (await res.json()) as SignalsResponse;
      const counted = body.points.reduce((a, p) => a + p.requests, 0);
      // Each second's entry is its cumulative total, the warm-up post included.
      const expected = [...acked.entries()].filter(([k]) => k.startsWith(`${s}|`)).reduce((a, [, v]) => a + v, 0);
      if (counted < expected) lost += expected - counted;
      if (counted > expected) log(`${s}: counted ${counted} > acknowledged ${expected} (double counting)`);
    }
    if (pgBefore && pgAfter) log(`postgres: ${((pgAfter.sessions - pgBefore.sessions - 1) / elapsed).toFixed(1)} connections/s, ${Math.round((pgAfter.spans - pgBefore.spans) / elapsed)} span rows/s stored (${Math.round((pgSettled ? pgSettled.spans - pgBefore.spans : NaN) / elapsed)}/s counted 2.5 s later)`);
    // Push spacing per subscriber: live p99 needs it at 1 s (the rule's minimum), not beyond.
    const gaps: number[] = [];
    for (const t of pushTimes.values()) for (let i = 1; i < t.length; i++) if (t[i]! - start > 0) gaps.push(t[i]! - t[i - 1]!);
    gaps.sort((a, b) => a - b);
    if (gaps.length) log(`pushes: ${gaps.length} intervals, mean ${(gaps.reduce((a, b) => a + b, 0) / gaps.length).toFixed(1)} ms, min ${gaps[0]!.toFixed(1)} ms, p99 ${percentile(gaps, 99).toFixed(1)} ms`);
    latencies.sort((a, b) => a - b);
    live.sort((a, b) => a - b);
    const rate = spansAcked / elapsed;
    // Per second of the run, with the wall clock's second of the minute beside it (a stall at :10
    // is the minute's rollup flush): a tail spread over the run, or bunched in a few seconds.
    const bySecond = (times: number[]) => {
      const counts = new Map<number, number>();
      for (const t of times) counts.set(Math.floor((t - start) / 1000), (counts.get(Math.floor((t - start) / 1000)) ?? 0) + 1);
      const wall = (sec: number) => String(Math.floor((startWall + sec * 1000) / 1000) % 60).padStart(2, '0');
      return [...counts].sort((a, b) => a[0] - b[0]).map(([sec, n]) => `${sec}s(:${wall(sec)}):${n}`).join(' ') || 'none';
    };
    log(`POSTs over 100 ms by second of the run: ${bySecond(slowAt)}`);
    log(`late POSTs by second of the run: ${bySecond(lateAt)}`);
    log(`ingest p50 ${percentile(latencies, 50).toFixed(1)} ms over ${latencies.length} posts; ${failed} failed; ${dropped} not sent; live p50 ${percentile(live, 50).toFixed(0)} ms, ${undelivered} posts' seconds never pushed`);
    console.log(`apm: ${Math.round(rate)} spans/s, ingest p99 ${percentile(latencies, 99).toFixed(1)} ms, live p99 ${percentile(live, 99).toFixed(0)} ms, lost ${lost}`);
    if (lost || failed) process.exitCode = 1;
  } finally {
    // A failed run's subscribers: closed, what they saw unused.
    await watch?.stop().catch((err) => console.error(`[bench] closing the live subscribers: ${String(err)}`));
    await stack?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
