// npm run bench:otlp -- [--seconds 2] [--workerd on|off]
// Decode throughput of protocol/otlp on bodies made by the official SDK and serializers (the
// TOOLCHAIN.md corpus: 100 SERVER spans with 10 attributes; plus 100 log records and 100 metric
// data points), in Node and, with --workerd on, inside local workerd under `wrangler dev` (which,
// unlike the vitest plugin, refuses any code generated from strings).
// Ends with one line: `otlp: traces protobuf <n> spans/s, json <n> spans/s; …`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { decodeLogs, decodeMetrics, decodeTraces } from '../protocol/otlp/index.ts';
import { parseArgs } from './args.ts';
import { freePort } from '../scripts/lib/postgres.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (m: string) => console.error(`[bench] ${m}`);
const resource = resourceFromAttributes({ 'service.name': 'bench', 'service.version': '1.0.0', 'host.name': 'bench-host' });

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

type Kind = 'traces' | 'metrics' | 'logs';
interface Body {
  kind: Kind;
  encoding: 'protobuf' | 'json';
  bytes: Uint8Array;
  records: number;
}

async function corpus(): Promise<Body[]> {
  const spans = new InMemorySpanExporter();
  const tp = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const tracer = tp.getTracer('bench', '1.0.0');
  for (let i = 0; i < 100; i++) {
    const s = tracer.startSpan(`GET /api/items/${i % 7}`, {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'http.route': `/api/items/:id${i % 7}`,
        'http.response.status_code': i % 10 === 0 ? 500 : 200,
        'url.path': `/api/items/${i}`,
        'url.scheme': 'https',
        'server.address': 'api.example.test',
        'server.port': 443,
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) bench',
        'client.address': '203.0.113.7',
        'network.protocol.version': '1.1',
      },
    });
    if (i % 10 === 0) s.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
    s.end();
  }
  await tp.forceFlush();
  const finished = spans.getFinishedSpans();

  const reader = new Reader();
  const meter = new MeterProvider({ resource, readers: [reader] }).getMeter('bench');
  const counter = meter.createCounter('http.server.requests');
  const hist = meter.createHistogram('http.server.request.duration', { unit: 's' });
  for (let i = 0; i < 50; i++) {
    counter.add(i + 1, { 'http.route': `/r/${i}`, 'http.request.method': 'GET' });
    hist.record(i / 100, { 'http.route': `/r/${i}`, 'http.request.method': 'GET' });
  }
  const { resourceMetrics } = await reader.collect();

  const logs = new InMemoryLogRecordExporter();
  const lp = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: logs })] });
  const logger = lp.getLogger('bench');
  for (let i = 0; i < 100; i++) logger.emit({ severityNumber: 9, severityText: 'INFO', body: `request ${i} served in ${i} ms for user ${i * 31}`, attributes: { 'user.id': i, route: `/r/${i % 5}`, ok: true, ms: i + 0.5, region: 'eu-west' } });
  await lp.forceFlush();
  const records = logs.getFinishedLogRecords();

  return [
    { kind: 'traces', encoding: 'protobuf', bytes: ProtobufTraceSerializer.serializeRequest(finished)!, records: 100 },
    { kind: 'traces', encoding: 'json', bytes: JsonTraceSerializer.serializeRequest(finished)!, records: 100 },
    { kind: 'metrics', encoding: 'protobuf', bytes: ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!, records: 100 },
    { kind: 'metrics', encoding: 'json', bytes: JsonMetricsSerializer.serializeRequest(resourceMetrics)!, records: 100 },
    { kind: 'logs', encoding: 'protobuf', bytes: ProtobufLogsSerializer.serializeRequest(records)!, records: 100 },
    { kind: 'logs', encoding: 'json', bytes: JsonLogsSerializer.serializeRequest(records)!, records: 100 },
  ];
}

const DECODE = { traces: decodeTraces, metrics: decodeMetrics, logs: decodeLogs };

/**
 * Records per second for each body in this process, the bodies interleaved (20 decodes of each in
 * turn) so a machine shared with other work slows them alike; `JSON.parse` of the traces JSON
 * body alone runs alongside as the yardstick.
 */
function inNode(bodies: Body[], seconds: number): { perBody: number[]; jsonParse: number } {
  const textDecoder = new TextDecoder();
  const tracesJson = bodies.find((b) => b.kind === 'traces' && b.encoding === 'json')!;
  const runs: (() => unknown)[] = [...bodies.map((b) => () => DECODE[b.kind](b.bytes, b.encoding)), () => JSON.parse(textDecoder.decode(tracesJson.bytes))];
  for (const run of runs) for (let i = 0; i < 200; i++) run(); // warm up the JIT
  const ms = runs.map(() => 0);
  let rounds = 0;
  const until = performance.now() + seconds * 1000 * runs.length;
  while (performance.now() < until) {
    runs.forEach((run, k) => {
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) run();
      ms[k]! += performance.now() - t0;
    });
    rounds++;
  }
  const rate = (k: number, records: number) => (rounds * 20 * records) / (ms[k]! / 1000);
  return { perBody: bodies.map((b, k) => rate(k, b.records)), jsonParse: rate(bodies.length, tracesJson.records) };
}

const WORKER = (entry: string) => `
import { decodeLogs, decodeMetrics, decodeTraces } from ${JSON.stringify(entry)};
const DECODE = { traces: decodeTraces, metrics: decodeMetrics, logs: decodeLogs };
export default {
  async fetch(req) {
    const u = new URL(req.url);
    const decode = DECODE[u.searchParams.get('kind')];
    if (!decode) return new Response('ok');
    const enc = u.searchParams.get('enc');
    const n = Number(u.searchParams.get('n'));
    const body = new Uint8Array(await req.arrayBuffer());
    let last;
    for (let i = 0; i < n; i++) last = decode(body, enc);
    return new Response(JSON.stringify(last, (_, v) => (typeof v === 'bigint' ? String(v) : v)).length.toString());
  },
};
`;

/** Starts a throwaway worker that decodes under `wrangler dev`; stop() ends it and its workerd. */
async function startWorkerd(): Promise<{ url: string; stop: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-bench-otlp-'));
  fs.writeFileSync(path.join(dir, 'worker.js'), WORKER(path.join(ROOT, 'protocol/otlp/index.ts')));
  fs.writeFileSync(path.join(dir, 'wrangler.toml'), `name = "bench-otlp"\nmain = "worker.js"\ncompatibility_date = "2026-11-09"\n`);
  const port = await freePort();
  const child = spawn(path.join(ROOT, 'node_modules/.bin/wrangler'), ['dev', '--config', path.join(dir, 'wrangler.toml'), '--port', String(port), '--ip', '127.0.0.1', '--show-interactive-dev-session=false', '--log-level', 'warn'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', X_LOCAL_OBSERVABILITY: 'false' },
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c));
  child.stderr!.on('data', (c: Buffer) => (output += c));
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(url)).ok) return { url, stop };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  stop();
  throw new Error(`wrangler dev did not start:\n${output}`);
}

/** Records per second inside workerd: (time for n decodes - time for 1) over n - 1, best of 5. */
async function inWorkerd(url: string, b: Body, seconds: number): Promise<number> {
  const post = async (n: number) => {
    const t0 = performance.now();
    const res = await fetch(`${url}/?kind=${b.kind}&enc=${b.encoding}&n=${n}`, { method: 'POST', body: b.bytes as Uint8Array<ArrayBuffer> });
    const text = await res.text();
    if (!res.ok) throw new Error(`workerd ${b.kind}/${b.encoding}: ${res.status} ${text.slice(0, 500)}`);
    return performance.now() - t0;
  };
  const one = await post(1);
  const n = Math.max(50, Math.round((seconds * 1000) / 5 / Math.max(0.05, one)));
  let best = Infinity;
  for (let i = 0; i < 5; i++) best = Math.min(best, ((await post(n)) - (await post(1))) / (n - 1));
  return (b.records * 1000) / best;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { seconds: 2, workerd: 'on' });
  const bodies = await corpus();
  const fmt = (n: number) => `${Math.round(n / 1000)}k`;
  const results: Record<string, { node: number; workerd?: number }> = {};
  const node = inNode(bodies, args.seconds);
  bodies.forEach((b, k) => {
    results[`${b.kind} ${b.encoding}`] = { node: node.perBody[k]! };
    log(`node    ${b.kind.padEnd(7)} ${b.encoding.padEnd(8)} ${String(b.bytes.length).padStart(6)} B  ${fmt(node.perBody[k]!)} records/s`);
  });
  log(`node    JSON.parse alone of the traces JSON body: ${fmt(node.jsonParse)} spans/s`);
  if (args.workerd === 'on') {
    const w = await startWorkerd();
    try {
      for (const b of bodies) {
        const r = (results[`${b.kind} ${b.encoding}`]!.workerd = await inWorkerd(w.url, b, args.seconds));
        log(`workerd ${b.kind.padEnd(7)} ${b.encoding.padEnd(8)} ${String(b.bytes.length).padStart(6)} B  ${fmt(r)} records/s`);
      }
    } finally {
      w.stop();
    }
  }
  const line = (['traces', 'metrics', 'logs'] as const)
    .map((k) => {
      const unit = k === 'traces' ? 'spans' : k === 'metrics' ? 'points' : 'records';
      const cell = (e: string) => {
        const r = results[`${k} ${e}`]!;
        return `${e} ${fmt(r.node)}${r.workerd ? ` (workerd ${fmt(r.workerd)})` : ''}`;
      };
      return `${k} ${cell('protobuf')}, ${cell('json')} ${unit}/s`;
    })
    .join('; ');
  console.log(`otlp: ${line}; JSON.parse alone ${fmt(node.jsonParse)} spans/s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
