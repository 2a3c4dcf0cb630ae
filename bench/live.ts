// npm run bench:live -- --subscribers N --samples K [--transport ws|http]
// Live path against the local stack (started here unless --url, --key and --readKey are given):
// one host, K full samples sent one after another (--transport ws, the default: frames on the
// host's ingest stream, each awaited until its ack; http: POSTs), first with no subscriber and then with N
// WebSocket subscribers (hibernatable, the default mode). Measures what ingest costs with
// subscribers attached and how long a sample takes from the start of its POST to arriving at
// every subscriber.
// Last line: live: delivery p50 <ms> ms, p99 <ms> ms to <N> subscribers; ingest p50 <ms> ms with 0, <ms> ms with <N>
import { WebSocket } from 'undici';
import { LIVE_PATH, type LiveServerMessage } from '../protocol/live.ts';
import { startStack } from '../scripts/lib/stack.ts';
import { benchDataDir, parseArgs, percentile } from './args.ts';
import { fullSample } from './full-sample.ts';
import { hostSender, parseTransport } from './lib/host-stream.ts';

const log = (m: string) => console.error(`[bench] ${m}`);
const fmt = (sorted: number[], p: number) => percentile(sorted, p).toFixed(1);

async function main() {
  const args = parseArgs(process.argv.slice(2), { subscribers: 100, samples: 100, url: '', key: '', readKey: '', data: 'tmpfs', transport: 'ws' });
  const transport = parseTransport(args.transport);
  let stack: Awaited<ReturnType<typeof startStack>> | null = null;
  let { url, key, readKey } = args;
  if (!url) {
    stack = await startStack({ dataDir: benchDataDir(args.data, 'monitor-bench-live'), persistent: false, rateLimits: false, log });
    ({ url } = stack);
    key = stack.credentials.ingestKey;
    readKey = stack.credentials.readKey;
  }
  const sockets: WebSocket[] = [];
  const sender = hostSender(transport, url, key);
  try {
    const host = `bench-live-${process.pid}`;
    let seq = 0;
    // Sample timestamps a minute back and 1 ms apart: all accepted, each newer than the last.
    const base = Date.now() - 60_000;
    const post = async () => {
      const n = seq++;
      const batch = { host: { id: host, name: host, os: 'linux', agentVersion: 'bench' }, batchId: `${host}-${n}`, samples: [fullSample(base + n, n)] };
      const t0 = performance.now();
      const res = await sender.send(batch);
      if (!res.ok) throw new Error(`send failed: ${res.status} ${res.error}`);
      return { ts: base + n, t0, ms: performance.now() - t0 };
    };

    await post();
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${url}/api/v1/hosts`, { headers: { authorization: `Bearer ${readKey}` } });
      if (((await res.json()) as { hosts: { id: string }[] }).hosts.some((h) => h.id === host)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let i = 0; i < 10; i++) await post(); // warm

    const bare: number[] = [];
    for (let i = 0; i < args.samples; i++) bare.push((await post()).ms);

    // Subscribers: arrival time of each sample ts at each socket.
    const arrivals = new Map<number, number[]>();
    await Promise.all(
      Array.from({ length: args.subscribers }, async () => {
        const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${LIVE_PATH(host)}`, { headers: { authorization: `Bearer ${readKey}` } });
        sockets.push(ws);
        await new Promise<void>((resolve, reject) => {
          ws.addEventListener('message', (e) => {
            const text = String(e.data);
            // Samples are read only as far as their ts: the client's parsing is not what is measured.
            const ts = /^\{"type":"sample","hostId":"[^"]*","ts":(\d+)/.exec(text)?.[1];
            if (ts) return void (arrivals.get(Number(ts)) ?? arrivals.set(Number(ts), []).get(Number(ts))!).push(performance.now());
            const m = JSON.parse(text) as LiveServerMessage;
            if (m.type === 'hello') resolve();
            else if (m.type === 'error') reject(new Error(m.message));
          });
          ws.addEventListener('error', () => reject(new Error('socket error')));
          ws.addEventListener('close', (e) => reject(new Error(`closed ${e.code} ${e.reason}`)));
        });
      }),
    );
    log(`${sockets.length} subscribers connected`);

    const withSubs: number[] = [];
    const delivery: number[] = [];
    const sent: { ts: number; t0: number }[] = [];
    for (let i = 0; i < args.samples; i++) {
      const r = await post();
      withSubs.push(r.ms);
      sent.push(r);
    }
    await new Promise((r) => setTimeout(r, 1000)); // the last pushes in flight
    let missing = 0;
    for (const s of sent) {
      const at = arrivals.get(s.ts) ?? [];
      missing += args.subscribers - at.length;
      // A sample is delivered when the last subscriber has it.
      if (at.length) delivery.push(Math.max(...at) - s.t0);
    }
    for (const a of [bare, withSubs, delivery]) a.sort((x, y) => x - y);
    log(`transport ${transport}: ingest without subscribers: p50 ${fmt(bare, 50)} ms, p99 ${fmt(bare, 99)} ms (${bare.length} sends)`);
    log(`ingest with ${args.subscribers}: p50 ${fmt(withSubs, 50)} ms, p99 ${fmt(withSubs, 99)} ms; missing deliveries ${missing}`);
    console.log(
      `live: delivery p50 ${fmt(delivery, 50)} ms, p99 ${fmt(delivery, 99)} ms to ${args.subscribers} subscribers; ingest p50 ${fmt(bare, 50)} ms with 0, ${fmt(withSubs, 50)} ms with ${args.subscribers}`,
    );
    if (missing) process.exitCode = 1;
  } finally {
    for (const ws of sockets) ws.close();
    await sender.close();
    await stack?.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
