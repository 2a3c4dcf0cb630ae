// The agent loop: collect a sample every interval (aligned to the wall clock), hand it to the
// shipper, and keep going whatever fails. startAgent() is what the CLI and the dev script run.
import type { HostInfo, Sample } from '../protocol/index.ts';
import { buildCollectors } from './collectors/index.ts';
import { customCollectors } from './collectors/custom.ts';
import { startHealthServer, writeState, type AgentState } from './health.ts';
import { defaultConfig, type AgentConfig } from './config.ts';
import { hostInfo } from './host.ts';
import { createLogger, type Logger } from './log.ts';
import { Runner } from './runner.ts';
import { Shipper } from './shipper.ts';
import { Spool } from './spool.ts';
import { streamTransport, type StreamTransport } from './stream.ts';
import { httpTransport, type Transport } from './transport.ts';
import { join } from 'node:path';
import type { Collector } from './types.ts';
import { AGENT_VERSION } from './version.ts';

export interface StartOptions extends Partial<AgentConfig> {
  serverUrl: string;
  apiKey: string;
  log?: Logger;
  host?: HostInfo;
  /** Replace the platform's collectors (tests). */
  collectors?: Collector[];
  /** Replace the HTTP transport (tests); the stream is then not used. */
  customTransport?: Transport;
  retries?: number;
  backoffMs?: number;
  sealAfter?: number;
  /** Called with every sample before it is queued. */
  onSample?: (s: Sample) => void;
  /** How long stop() waits for a send in progress before spooling what is left (default 5 s). */
  stopTimeoutMs?: number;
}

export interface AgentHandle {
  /** Resolves once the spool is open and the first collection is scheduled; rejects if start-up failed. */
  ready: Promise<void>;
  host: HostInfo;
  /** The health snapshot (also written to health.stateFile each interval). */
  state(): AgentState;
  /** The local health endpoint's port, once ready, when health.port is set. */
  healthPort: number | null;
  stop(): Promise<void>;
}

export function startAgent(options: StartOptions): AgentHandle {
  const cfg: AgentConfig = { ...defaultConfig(), ...stripUndefined(options) };
  const log = options.log ?? createLogger(cfg.logging);
  const host = options.host ?? hostInfo({ id: cfg.hostId, name: cfg.hostName });
  const collectors = options.collectors ?? [...buildCollectors(cfg.metrics), ...customCollectors(cfg.custom)];
  const runner = new Runner(collectors, { timeoutMs: cfg.collectorTimeoutMs, procRoot: cfg.procRoot, sysRoot: cfg.sysRoot, rootFs: cfg.rootFs });
  const backoff = options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {};
  const http = options.customTransport ?? httpTransport({ serverUrl: cfg.serverUrl!, apiKey: cfg.apiKey!, timeoutMs: cfg.sendTimeoutMs, log, ...backoff });
  // The stream falls back to the same POST transport for any batch the socket cannot carry.
  const stream: StreamTransport | null =
    cfg.transport === 'ws' && !options.customTransport
      ? streamTransport({ serverUrl: cfg.serverUrl!, apiKey: cfg.apiKey!, host, fallback: http, timeoutMs: cfg.sendTimeoutMs, log, ...backoff })
      : null;
  const transport: Transport = stream ? stream.send : http;

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | null = null;
  let shipper: Shipper | undefined;
  const lastOk = new Map<string, boolean>();
  const startedAt = Date.now();
  let lastSampleAt: number | null = null;
  const collectorState: AgentState['collectors'] = {};
  let healthServer: import('node:http').Server | undefined;
  let stateBroken = false;

  const state = (): AgentState => ({
    version: AGENT_VERSION,
    pid: process.pid,
    hostId: host.id,
    server: cfg.serverUrl,
    startedAt,
    updatedAt: Date.now(),
    intervalMs: cfg.intervalMs,
    lastSampleAt,
    lastSendOkAt: shipper?.lastOkAt ?? null,
    lastSendError: shipper?.lastError ?? null,
    online: shipper?.isOnline ?? true,
    sent: shipper?.sent ?? 0,
    sendFailures: shipper?.failures ?? 0,
    spool: { depth: spoolRef?.depth ?? 0, bytes: spoolRef?.bytes ?? 0, dropped: spoolRef?.dropped ?? 0, dir: spoolRef?.dir ?? null },
    pendingSamples: shipper?.pendingSamples ?? 0,
    unconfirmedBatches: shipper?.unconfirmedBatches ?? 0,
    transport: stream ? stream.mode() : 'http',
    collectors: collectorState,
  });
  let spoolRef: Spool | undefined;

  /** After each send settles, so `health` sees the send's outcome, not the state before it. */
  const saveState = async () => {
    if (!cfg.health.stateFile) return;
    try {
      await writeState(cfg.health.stateFile, state());
      stateBroken = false;
    } catch (e) {
      if (!stateBroken) log.error('cannot write the state file', { file: cfg.health.stateFile, error: String(e) });
      stateBroken = true;
    }
  };

  const record = (results: { name: string; ok: boolean; error?: string }[]) => {
    lastSampleAt = Date.now();
    for (const r of results) {
      const c = (collectorState[r.name] ??= { ok: true, failures: 0 });
      c.ok = r.ok;
      if (r.ok) delete c.error;
      else {
        c.failures++;
        c.error = r.error ?? 'failed';
      }
    }
  };

  /** `slot` is the interval boundary the timer was set for; all hosts' samples share these timestamps. */
  const tick = async (slot: number) => {
    const { sample, results } = await runner.collect(slot);
    // Log a collector only when its state changes, not every 5 s.
    for (const r of results) {
      if (lastOk.get(r.name) !== r.ok) {
        if (!r.ok) log.warning('collector failed', { collector: r.name, error: r.error });
        else if (lastOk.has(r.name)) log.info('collector recovered', { collector: r.name });
      }
      lastOk.set(r.name, r.ok);
    }
    record(results);
    Object.assign(sample.metrics, shipper!.metrics());
    options.onSample?.(sample);
    shipper!.enqueue(sample);
    // Also before the send: a send with retries can outlast several intervals.
    void saveState();
    void shipper!
      .flush()
      .catch((e) => log.error('flush failed', { error: e }))
      .then(saveState);
  };

  let lastSlot = 0;
  const schedule = () => {
    if (stopped) return;
    // Fire on interval boundaries so samples from all hosts line up (nicer charts, easier rollups).
    // The slot is the boundary aimed at, not the (late) firing time rounded: a timer late by over
    // half an interval would otherwise repeat a slot, and two samples with one ts collapse into one.
    // Timers may also fire a hair early: never aim at the slot just used.
    const now = Date.now();
    const slot = Math.max(now - (now % cfg.intervalMs) + cfg.intervalMs, lastSlot + cfg.intervalMs);
    lastSlot = slot;
    timer = setTimeout(() => {
      current = tick(slot)
        .catch((e) => log.error('collection failed', { error: e }))
        .finally(() => {
          current = null;
          schedule();
        });
    }, slot - now);
  };

  const ready = (async () => {
    let spool: Spool;
    try {
      spool = await Spool.open(cfg.spool.dir, cfg.spool.maxBytes, log);
    } catch (e) {
      // An unwritable spool directory must not stop monitoring: keep the queue in memory instead.
      log.error('cannot open the spool directory, spooling in memory', { dir: cfg.spool.dir, error: e });
      spool = await Spool.open(null, cfg.spool.maxBytes, log);
    }
    spoolRef = spool;
    // Acknowledged but not yet durable batches, beside the spool (memory without a spool directory).
    const unconfirmed = await Spool.open(spool.dir ? join(spool.dir, 'unconfirmed') : null, cfg.spool.maxBytes, log).catch((e: unknown) => {
      log.error('cannot open the unconfirmed spool, keeping it in memory', { error: String(e) });
      return Spool.open(null, cfg.spool.maxBytes, log);
    });
    if (cfg.health.port) {
      try {
        healthServer = (await startHealthServer(cfg.health.port, state)).server;
        log.info('health endpoint listening', { url: `http://127.0.0.1:${cfg.health.port}/health` });
      } catch (e) {
        // A port clash must not stop monitoring; `health` falls back to the state file.
        log.error('cannot start the health endpoint', { port: cfg.health.port, error: String(e) });
      }
    }
    shipper = new Shipper({
      host,
      transport,
      spool,
      unconfirmed,
      log,
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      ...(options.sealAfter !== undefined ? { sealAfter: options.sealAfter } : {}),
    });
    await shipper.recover();
    log.info('agent started', { host: host.id, name: host.name, server: cfg.serverUrl, transport: stream ? 'ws' : 'http', intervalMs: cfg.intervalMs, collectors: collectors.map((c) => c.name), spool: cfg.spool.dir });
    // Collect and ship at once, so the host shows up within a second of start; this also primes
    // the counters, so the first interval's sample has rates.
    const first = await runner.collect();
    record(first.results);
    Object.assign(first.sample.metrics, shipper.metrics());
    options.onSample?.(first.sample);
    shipper.enqueue(first.sample);
    void shipper
      .flush()
      .catch((e) => log.error('flush failed', { error: e }))
      .then(saveState);
    schedule();
  })();

  // Callers that never await `ready` must not get an unhandled rejection.
  ready.catch((e) => log.critical('agent failed to start', { error: e }));

  return {
    ready,
    host,
    state,
    get healthPort() {
      const a = healthServer?.address();
      return a && typeof a === 'object' ? a.port : null;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ready.catch(() => {});
      if (current) await current;
      if (!shipper) return;
      const deadline = new Promise<void>((res) => setTimeout(res, options.stopTimeoutMs ?? 5_000).unref());
      await Promise.race([shipper.close(), deadline]);
      stream?.close();
      healthServer?.close();
      await saveState();
      log.info('agent stopped', { spoolDepth: shipper.metrics()['agent.spool.depth'] });
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
