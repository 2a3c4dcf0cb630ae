// npm run bench:agent -- --seconds 60
// Runs the compiled agent (5 s interval) against a loopback sink and, in the same run, Debian's
// prometheus-node-exporter scraped every 5 s when installed; measures each one's CPU (utime +
// stime from /proc/<pid>/stat over the measured window) and peak RSS (VmRSS sampled every second).
// The agent's collection time comes from its own agent.collector.duration self-metrics.
// Ends with exactly one line: `agent: cpu <pct>% rss <MB> MB; node_exporter: cpu <pct>% rss <MB> MB`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { CollectRequest, LabelledValue } from '../protocol/index.ts';
import { systemdUnit } from '../agent/unit.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, warmup: { type: 'string', default: '6' } } });
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const root = fileURLToPath(new URL('..', import.meta.url));
const binary = join(root, 'agent/dist/pulse-agent-linux-x64');
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stdout.write(s + '\n');

/** utime + stime of the whole process (all threads), in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the comm field may contain spaces
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 and 15 of stat(5)
}
/** VmRSS, and its anonymous (private heap) and file-backed (mapped executable) parts, in MB. */
function rss(pid: number): { total: number; anon: number; file: number } {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(st)?.[1] ?? 0) / 1024;
  return { total: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

class Probe {
  cpu0 = 0;
  t0 = 0;
  maxRss = 0;
  maxAnon = 0;
  maxFile = 0;
  constructor(readonly name: string, readonly p: ChildProcess) {}
  start() {
    this.cpu0 = cpuSeconds(this.p.pid!);
    this.t0 = performance.now();
  }
  sample() {
    const r = rss(this.p.pid!);
    this.maxRss = Math.max(this.maxRss, r.total);
    this.maxAnon = Math.max(this.maxAnon, r.anon);
    this.maxFile = Math.max(this.maxFile, r.file);
  }
  result() {
    const wall = (performance.now() - this.t0) / 1000;
    const cpu = cpuSeconds(this.p.pid!) - this.cpu0;
    return { cpuPct: (cpu / wall) * 100, cpuSeconds: cpu, rss: this.maxRss, anon: this.maxAnon, file: this.maxFile, wall };
  }
}

async function main() {
  if (!existsSync(binary)) {
    log('agent binary missing; building it (npm run build:agent)');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'agent/build.ts'), '--target', 'linux-x64'], { stdio: 'inherit', cwd: root });
    if (r.status !== 0) throw new Error('build failed');
  }

  // The sink: acknowledges everything and keeps each sample's collector durations.
  const collections: number[] = [];
  let batches = 0;
  const sink = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as CollectRequest;
      batches++;
      for (const s of body.samples) {
        const d = s.metrics['agent.collector.duration'] as LabelledValue[] | undefined;
        // Collectors run concurrently, so the slowest bounds the wall time; the sum bounds the CPU.
        if (d) collections.push(Math.max(...d.map((x) => x.value)));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":1,"duplicate":false}');
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-agent-'));
  // The environment the systemd unit gives the service (agent/unit.ts), so this measures the agent as installed.
  const unitEnv = Object.fromEntries([...systemdUnit().matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  log(`agent environment from the systemd unit: ${JSON.stringify(unitEnv)}`);
  const agent = spawn(binary, ['run', '--server', sinkUrl, '--key', 'bench-key', '--interval', '5s', '--spool-dir', join(dir, 'spool'), '--log-level', 'WARNING'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...unitEnv } });
  const probes = [new Probe('agent', agent)];

  const neBin = ['/usr/bin/prometheus-node-exporter', '/usr/bin/node_exporter'].find(existsSync);
  let ne: ChildProcess | undefined;
  let scrapes = 0;
  let scrapeTimer: NodeJS.Timeout | undefined;
  if (neBin) {
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    ne = spawn(neBin, [`--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'ignore'] });
    probes.push(new Probe('node_exporter', ne));
    const scrape = () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).then(() => void scrapes++, () => {});
    await sleep(300);
    void scrape();
    scrapeTimer = setInterval(scrape, 5000);
  } else {
    log('prometheus-node-exporter is not installed (apt-get install -y prometheus-node-exporter); measuring the agent alone');
  }

  try {
    log(`warming up ${warmup} s (start-up and first collections are not measured), then measuring ${seconds} s; CLK_TCK ${CLK_TCK}`);
    await sleep(warmup * 1000);
    for (const p of probes) p.start();
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      for (const p of probes) p.sample();
      await sleep(1000);
    }
    const r = Object.fromEntries(probes.map((p) => [p.name, p.result()]));
    const sorted = [...collections].sort((a, b) => a - b);
    const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    log(`agent: ${batches} batches received; one collection (slowest collector) p50 ${pct(0.5).toFixed(2)} ms, max ${pct(1).toFixed(2)} ms over ${sorted.length} samples`);
    if (ne) log(`node_exporter: ${scrapes} scrapes`);
    for (const [name, x] of Object.entries(r)) {
      log(`${name}: ${x.cpuSeconds.toFixed(2)} s CPU in ${x.wall.toFixed(1)} s; peak RSS ${x.rss.toFixed(1)} MB = anon ${x.anon.toFixed(1)} + file-backed ${x.file.toFixed(1)} (peaks taken separately)`);
    }
    const fmt = (x: { cpuPct: number; rss: number } | undefined) => (x ? `cpu ${x.cpuPct.toFixed(3)}% rss ${x.rss.toFixed(1)} MB` : 'not installed');
    log(`agent: ${fmt(r.agent)}; node_exporter: ${fmt(r.node_exporter)}`);
  } finally {
    clearInterval(scrapeTimer);
    // Only the processes this bench started, by their own handles.
    agent.kill('SIGTERM');
    ne?.kill('SIGTERM');
    await new Promise((res) => (agent.exitCode !== null ? res(null) : agent.once('exit', res)));
    sink.closeAllConnections();
    sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
