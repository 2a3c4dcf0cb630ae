// Runs the demo service (examples/demo-service) as a child process pointed at a stack with the
// standard OpenTelemetry variables only, as a user would. Used by `npm run dev -- --demo` and the
// stack test (e2e/apm-demo.test.ts), which also asks it for the spans its SDK recorded.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CapturedSpan } from '../../examples/demo-service/telemetry.ts';
import { ROOT } from './stack.ts';

export const DEMO_SERVICE = 'demo-shop';
const MAIN = path.join(ROOT, 'examples', 'demo-service', 'main.ts');

export interface DemoOptions {
  /** The product's base URL (OTEL_EXPORTER_OTLP_ENDPOINT). */
  endpoint: string;
  ingestKey: string;
  service?: string;
  protocol?: 'http/protobuf' | 'http/json';
  gzip?: boolean;
  /** Requests a second from the built-in load generator; 0: none. */
  rps?: number;
  /** Keep the spans the SDK finishes, for flush() to return (tests). */
  recordSpans?: boolean;
  /** Where the demo's output goes; else it is kept for error messages only. */
  logFile?: string;
}

export interface DemoProcess {
  service: string;
  /** The demo service's own address. */
  url: string;
  /** Exports every finished span; returns those recorded since the last flush (recordSpans). */
  flush(): Promise<CapturedSpan[]>;
  /** The demo's recent output (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** The environment a user would set; nothing else configures the demo's telemetry. */
export function demoEnv(opts: DemoOptions): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: opts.service ?? DEMO_SERVICE,
    OTEL_EXPORTER_OTLP_ENDPOINT: opts.endpoint,
    OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${opts.ingestKey}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: opts.protocol ?? 'http/protobuf',
    OTEL_EXPORTER_OTLP_COMPRESSION: opts.gzip === false ? 'none' : 'gzip',
    // Traces and logs (POST /v1/logs, docs/logs.md): the demo shows span-based signals (metrics
    // would be ignored while spans arrive, docs/apm.md).
    OTEL_METRICS_EXPORTER: 'none',
    // Export every second (the default is 5 s) so the live page moves with the traffic.
    OTEL_BSP_SCHEDULE_DELAY: '1000',
    OTEL_LOG_LEVEL: 'warn',
  };
}

export async function startDemo(opts: DemoOptions): Promise<DemoProcess> {
  const service = opts.service ?? DEMO_SERVICE;
  const args = ['--import', 'tsx', MAIN, '--port', '0', '--load', String(opts.rps ?? 0)];
  if (opts.recordSpans) args.push('--record-spans');
  // The running Node (22 under npm scripts) with tsx as a loader; an IPC channel for ready/flush.
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...demoEnv(opts) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let recent = '';
  const log = opts.logFile ? fs.createWriteStream(opts.logFile) : null;
  for (const s of [child.stdout!, child.stderr!]) {
    s.on('data', (chunk: Buffer) => {
      recent = (recent + chunk.toString()).slice(-20_000);
      log?.write(chunk);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const next = (type: string, timeoutMs: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`the demo service sent no "${type}" within ${timeoutMs / 1000} s; its output:\n${recent}`)), timeoutMs);
      const onMessage = (m: Record<string, unknown>) => {
        if (m?.type === type) done(null, m);
        else if (m?.type === 'error') done(new Error(`the demo service: ${String(m.message)}`));
      };
      const onExit = (code: number | null) => done(new Error(`the demo service exited with code ${code}; its output:\n${recent}`));
      function done(err: Error | null, m?: Record<string, unknown>) {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(m!);
      }
      child.on('message', onMessage);
      child.once('exit', onExit);
    });

  let ready;
  try {
    ready = await next('ready', 90_000); // the OpenTelemetry SDK takes seconds to load on a busy machine
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  let stopped = false;
  return {
    service,
    url: String(ready.url),
    output: () => recent,
    async flush() {
      const answer = next('flushed', 30_000);
      child.send({ type: 'flush' });
      return (await answer).spans as CapturedSpan[];
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // the demo flushes its last spans, then exits
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      log?.end();
    },
  };
}
