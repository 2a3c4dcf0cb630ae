// npm run bench:ingest -- --hosts N --seconds S [--transport ws|http] [--data tmpfs|disk|DIR] [--via runtime|proxy] [--timeline on]
// Simulates N hosts sending full samples every 5 s against the local stack (started here unless
// --url and --key are given), then checks every acknowledged sample is in the raw tier.
// --transport ws (default, as the agent): one stream per host, latency = frame sent to ack; the
// bench keeps each acked sample until an ack's durableThrough passes it, as the agent's spool
// does, and hands what is not durable when the run ends over by POST (not timed), as the agent
// does when it stops. --transport http: one POST per sample, latency = request to answer.
// `lost`: points of acked samples missing from the raw tier afterwards (exit 1 when any). The
// last line has the same format on both (its req/s counts frames on ws).
// Last line: ingest: <points/s> points/s, <requests/s> req/s, p50 <ms> ms, p99 <ms> ms, lost <n>
import { Agent, fetch, setGlobalDispatcher } from 'undici';
import { hostSender, parseTransport } from './lib/host-stream.ts';
import { Spool } from './lib/spool.ts';
import { startStack } from '../scripts/lib/stack.ts';
import { benchDataDir, parseArgs, percentile } from './args.ts';
import { fullSample, pointsIn } from './full-sample.ts';

const INTERVAL = 5000;

async function main() {
  const args = parseArgs(process.argv.slice(2), { hosts: 100, seconds: 30, url: '', key: '', readKey: '', concurrency: 256, data: 'tmpfs', via: 'runtime', timeline: 'off', transport: 'ws' });
  const transport = parseTransport(args.transport);
  if (args.via !== 'runtime' && args.via !== 'proxy') throw new Error(`--via must be runtime or proxy, got "${args.via}"`);
  if (args.timeline !== 'on' && args.timeline !== 'off') throw new Error(`--timeline must be on or off, got "${args.timeline}"`);
  setGlobalDispatcher(new Agent({ connections: args.concurrency, keepAliveTimeout: 30_000 }));
  let stack: Awaited<ReturnType<typeof startStack>> | null = null;
  let url = args.url;
  let key = args.key;
  let readKey = args.readKey;
  if (!url) {
    stack = await startStack({ dataDir: benchDataDir(args.data, 'monitor-bench'), persistent: false, rateLimits: false, runtimeUrl: args.via === 'runtime', log: (m) => console.error(`[bench] ${m}`) });
    // --via runtime (default): straight to the workerd running the worker and its objects, as
    // production has no wrangler dev proxy in front; --via proxy goes through it (scripts/lib/stack.ts).
    url = args.via === 'runtime' && stack.runtimeUrl ? stack.runtimeUrl : stack.url;
    if (args.via === 'runtime' && !stack.runtimeUrl) console.error('[bench] wrangler did not name its runtime address; measuring through its dev proxy');
    key = stack.credentials.ingestKey;
    readKey = stack.credentials.readKey;
  }
  const sender = hostSender(transport, url, key);
  try {
    const hosts = Array.from({ length: args.hosts }, (_, i) => `bench-${String(i).padStart(5, '0')}`);
    const latencies: number[] = [];
    const answered: [number, number][] = []; // [wall-clock ms when answered, latency], for --timeline on
    const byRound = new Map<number, number[]>(); // send index -> latencies, to see cold start apart
    const acked = new Map<string, number[]>(); // host -> acknowledged sample timestamps
    const spool = new Spool<ReturnType<typeof fullSample>>(); // ws: acked but not yet durable
    let points = 0;
    let failures = 0;
    const firstError: string[] = [];
    // Warm-up: each host's first post creates its object (SQLite file, Postgres registration).
    // That one-time cold start is reported on stderr; the figures below are steady state.
    const warm: number[] = [];
    const warmStart = Date.now();
    await Promise.all(
      hosts.map(async (host, i) => {
        await new Promise((r) => setTimeout(r, (i / hosts.length) * INTERVAL));
        const ts = Math.floor(Date.now() / 1000) * 1000 - 60_000;
        const t0 = performance.now();
        const res = await sender.send({ host: { id: host, name: host, os: 'linux', agentVersion: 'bench' }, batchId: `${host}-warm`, samples: [fullSample(ts, i)] });
        if (!res.ok) throw new Error(`warm-up send failed: ${res.status} ${res.error}`);
        warm.push(performance.now() - t0);
      }),
    );
    warm.sort((a, b) => a - b);
    console.error(`[bench] cold start (first ${transport === 'ws' ? 'upgrade and frame' : 'post'} of ${hosts.length} new hosts over ${((Date.now() - warmStart) / 1000).toFixed(1)} s): p50 ${percentile(warm, 50).toFixed(1)} ms, p99 ${percentile(warm, 99).toFixed(1)} ms`);
    await new Promise((r) => setTimeout(r, 3000));

    const start = Math.ceil(Date.now() / INTERVAL) * INTERVAL + INTERVAL;
    const end = start + args.seconds * 1000;
    console.error(`[bench] ${args.hosts} hosts x ${args.seconds} s against ${url}, transport ${transport}`);

    const sendOne = async (host: string, i: number, ts: number, round: number) => {
      const sample = fullSample(ts, i);
      const t0 = performance.now();
      try {
        const res = await sender.send({ host: { id: host, name: host, os: 'linux', agentVersion: 'bench' }, batchId: `${host}-${ts}`, samples: [sample] });
        const ms = performance.now() - t0;
        latencies.push(ms);
        answered.push([Date.now(), ms]);
        if (!byRound.has(round)) byRound.set(round, []);
        byRound.get(round)!.push(ms);
        if (res.ok) {
          points += pointsIn(sample);
          acked.get(host)!.push(ts);
          if (transport === 'ws') spool.hold(host, ts, sample, res.durableThrough);
        } else {
          failures++;
          if (firstError.length < 3) firstError.push(`${res.status} ${res.error}`);
        }
      } catch (err) {
        failures++;
        if (firstError.length < 3) firstError.push(String(err));
      }
    };

    // Each host has its own phase within the 5 s period, as real agents do.
    const inflight: Promise<void>[] = [];
    await new Promise<void>((resolve) => {
      let done = 0;
      hosts.forEach((host, i) => {
        acked.set(host, []);
        const phase = Math.floor((i / hosts.length) * INTERVAL);
        let k = 0;
        const tick = () => {
          const ts = start + k * INTERVAL + phase;
          if (ts >= end) {
            if (++done === hosts.length) resolve();
            return;
          }
          inflight.push(sendOne(host, i, ts, k));
          k++;
          setTimeout(tick, Math.max(0, start + k * INTERVAL + phase - Date.now()));
        };
        setTimeout(tick, Math.max(0, start + phase - Date.now()));
      });
    });
    await Promise.all(inflight);
    const elapsed = (end - start) / 1000;
    if (transport === 'ws') {
      // The stream keeps a window in memory until it ends, and an object left idle (as every one
      // is once the run stops) is evicted with it: hand over what is not durable, as the agent
      // does when it stops, so the check below counts only what the platform really lost.
      const post = hostSender('http', url, key);
      const held = spool.size();
      for (let i = 0; i < hosts.length; i += 64)
        await Promise.all(
          hosts.slice(i, i + 64).map(async (host) => {
            for (const samples of spool.rest(host, 200)) {
              const res = await post.send({ host: { id: host, name: host, os: 'linux', agentVersion: 'bench' }, batchId: `${host}-handover-${samples[0]!.ts}`, samples });
              if (!res.ok) {
                failures++;
                if (firstError.length < 3) firstError.push(`hand-over ${host}: ${res.status} ${res.error}`);
              }
            }
          }),
        );
      console.error(`[bench] ${held} acked samples not yet durable at the end were handed over by POST`);
    }

    // Printed before the history checks, so a failed check cannot take the timeline with it.
    if (args.timeline === 'on') {
      // Per second of wall clock: a stall of the whole runtime shows as one bad second, load as many.
      const bySecond = new Map<number, number[]>();
      for (const [t, ms] of answered) {
        const k = Math.floor((t - start) / 1000);
        if (!bySecond.has(k)) bySecond.set(k, []);
        bySecond.get(k)!.push(ms);
      }
      for (const [k, l] of [...bySecond.entries()].sort((a, b) => a[0] - b[0])) {
        l.sort((a, b) => a - b);
        console.error(`[bench] second ${k}: ${l.length} answered, p50 ${percentile(l, 50).toFixed(1)} ms, max ${l[l.length - 1]!.toFixed(1)} ms`);
      }
    }
    // Every acknowledged sample must be in the raw tier: one 5 s bucket per sample.
    let lost = 0;
    let checked = 0;
    let checkFailures = 0;
    const perSample = pointsIn(fullSample(0, 0));
    for (let i = 0; i < hosts.length; i += 16) {
      await Promise.all(
        hosts.slice(i, i + 16).map(async (host) => {
          const q = `${url}/api/v1/metrics/history?host=${host}&metric=cpu.usage.total&from=${start - INTERVAL}&to=${end + INTERVAL}&points=5000`;
          // A refused connection is an unverifiable host, counted as below, not the end of the run.
          const res = await fetch(q, { headers: { authorization: `Bearer ${readKey}` } }).catch((err: unknown) => new Response(`fetch failed: ${String(err)}`, { status: 599 }));
          const text = await res.text();
          type History = { stepMs: number; series: { points: { ts: number }[] }[] };
          let body: History | null;
          try {
            body = JSON.parse(text) as History;
          } catch {
            body = null;
          }
          if (!res.ok || !body || body.stepMs !== INTERVAL) {
            // Unverifiable: count the host's acknowledged samples as lost rather than guess.
            checkFailures++;
            if (firstError.length < 5) firstError.push(`history check ${host}: ${res.status} ${text.slice(0, 300)}`);
            for (const _ of acked.get(host)!) lost += perSample;
            return;
          }
          const have = new Set((body.series[0]?.points ?? []).map((p) => p.ts));
          for (const ts of acked.get(host)!) {
            checked++;
            if (!have.has(Math.floor(ts / INTERVAL) * INTERVAL)) lost += perSample;
          }
        }),
      );
    }
    latencies.sort((a, b) => a - b);
    for (const [round, l] of [...byRound.entries()].sort((a, b) => a[0] - b[0])) {
      l.sort((a, b) => a - b);
      console.error(`[bench] round ${round}: p50 ${percentile(l, 50).toFixed(1)} ms, p99 ${percentile(l, 99).toFixed(1)} ms, max ${l[l.length - 1]!.toFixed(1)} ms`);
    }
    console.error(`[bench] ${latencies.length} requests, ${failures} failed, ${checked} samples checked in the raw tier, ${checkFailures} history checks failed`);
    if (firstError.length) console.error(`[bench] first errors: ${firstError.join(' | ')}`);
    console.log(
      `ingest: ${Math.round(points / elapsed)} points/s, ${(latencies.length / elapsed).toFixed(1)} req/s, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, lost ${lost}`,
    );
    if (failures || checkFailures || lost) process.exitCode = 1;
  } finally {
    await sender.close();
    await stack?.stop();
  }
}

main().catch((err) => {
  console.error(`[bench] failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
