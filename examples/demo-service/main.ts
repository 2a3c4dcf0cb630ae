// The demo service: `npx tsx examples/demo-service/main.ts [--port 3000] [--load 10]`, pointed at
// the product with the standard OpenTelemetry variables only (see telemetry.ts, docs/apm.md):
//
//   OTEL_SERVICE_NAME=demo-shop OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:8787 \
//   OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20mk_ingest_…" \
//   OTEL_METRICS_EXPORTER=none npx tsx examples/demo-service/main.ts --load 10
//
// --load N also runs the load generator at N requests a second against the service itself.
// Started with an IPC channel (scripts/lib/demo.ts), it says {type:'ready', url} and answers
// {type:'flush'} by exporting every finished span; with --record-spans the answer carries the
// spans the SDK finished since the last flush (their exact durations: a test's ground truth).
import { parseArgs } from 'node:util';
import type { SteadyLoad } from './load.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    host: { type: 'string', default: '127.0.0.1' },
    load: { type: 'string', default: '0' },
    'record-spans': { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
const rps = Number(values.load);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port}: not a port`);
if (!(rps >= 0)) throw new Error(`--load ${values.load}: not a rate`);
if (values['record-spans'] && !process.send) throw new Error('--record-spans needs an IPC channel (scripts/lib/demo.ts)');

// Telemetry first: nothing may load node:http before it (telemetry.ts).
const { startTelemetry } = await import('./telemetry.ts');
const telemetry = await startTelemetry({ capture: values['record-spans'] });
const { startServer } = await import('./server.ts');
const server = await startServer({ port, host: values.host });
const name = process.env.OTEL_SERVICE_NAME ?? 'unknown_service';
console.log(`[demo] ${name} listening on ${server.url} (OTLP ${process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf'} to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318'})`);

let load: SteadyLoad | null = null;
let report: NodeJS.Timeout | null = null;
if (rps > 0) {
  const { startSteadyLoad } = await import('./load.ts');
  load = startSteadyLoad(server.url, rps);
  console.log(`[demo] load generator: ${rps} requests/s`);
  report = setInterval(() => {
    const s = load!.take();
    console.log(`[demo] last 60 s: ${s.requests} requests, ${s.serverErrors} answered 5xx${s.failed ? `, ${s.failed} failed to connect` : ''}`);
  }, 60_000);
  report.unref();
}

if (process.send) {
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type !== 'flush') return;
    telemetry.forceFlush().then(
      () => process.send!({ type: 'flushed', spans: telemetry.takeCaptured() }),
      (err: unknown) => process.send!({ type: 'error', message: String(err) }),
    );
  });
  process.send({ type: 'ready', url: server.url });
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  if (report) clearInterval(report);
  await load?.stop();
  await server.close();
  await telemetry.shutdown(); // exports what is still queued
  process.exit(0);
}
const stopNow = () =>
  stop().catch((err: unknown) => {
    console.error('[demo] shutdown failed:', err);
    process.exit(1);
  });
process.on('SIGINT', stopNow);
process.on('SIGTERM', stopNow);
process.on('disconnect', stopNow);
