// The agent loop: collect a sample every interval (aligned to the wall clock), hand it to the
// shipper, and keep going whatever fails. startAgent() is what the CLI and the dev script run.
import type { HostInfo, Sample } from '../protocol/index.ts';
import { buildCollectors } from './collectors/index.ts';
import { defaultConfig, type AgentConfig } from './config.ts';
import { hostInfo } from './host.ts';
import { createLogger, type Logger } from './log.ts';
import { Runner } from './runner.ts';
import { Shipper } from './shipper.ts';
import { Spool } from './spool.ts';
import { httpTransport, type Transport } from './transport.ts';
import type { Collector } from './types.ts';

export interface StartOptions extends Partial<AgentConfig> {
  serverUrl: string;
  apiKey: string;
  log?: Logger;
  host?: HostInfo;
  /** Replace the platform's collectors (tests). */
  collectors?: Collector[];
  transport?: Transport;
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
  stop(): Promise<void>;
}

export function startAgent(options: StartOptions): AgentHandle {
  const cfg: AgentConfig = { ...defaultConfig(), ...stripUndefined(options) };
  const log = options.log ?? createLogger(cfg.logging);
  const host = options.host ?? hostInfo({ id: cfg.hostId, name: cfg.hostName });
  const collectors = options.collectors ?? buildCollectors(cfg.metrics);
  const runner = new Runner(collectors, { timeoutMs: cfg.collectorTimeoutMs, procRoot: cfg.procRoot, sysRoot: cfg.sysRoot, rootFs: cfg.rootFs });
  const transport =
    options.transport ??
    httpTransport({ serverUrl: cfg.serverUrl!, apiKey: cfg.apiKey!, timeoutMs: cfg.sendTimeoutMs, log, ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}) });

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | null = null;
  let shipper: Shipper | undefined;
  const lastOk = new Map<string, boolean>();

  const tick = async () => {
    // The slot this tick stands for: timers fire a few ms late, and samples of all hosts should share timestamps.
    const slot = Math.round(Date.now() / cfg.intervalMs) * cfg.intervalMs;
    const { sample, results } = await runner.collect(slot);
    // Log a collector only when its state changes, not every 5 s.
    for (const r of results) {
      if (lastOk.get(r.name) !== r.ok) {
        if (!r.ok) log.warning('collector failed', { collector: r.name, error: r.error });
        else if (lastOk.has(r.name)) log.info('collector recovered', { collector: r.name });
      }
      lastOk.set(r.name, r.ok);
    }
    Object.assign(sample.metrics, shipper!.metrics());
    options.onSample?.(sample);
    shipper!.enqueue(sample);
    void shipper!.flush().catch((e) => log.error('flush failed', { error: e }));
  };

  const schedule = () => {
    if (stopped) return;
    // Fire on interval boundaries so samples from all hosts line up (nicer charts, easier rollups).
    const delay = cfg.intervalMs - (Date.now() % cfg.intervalMs);
    timer = setTimeout(() => {
      current = tick()
        .catch((e) => log.error('collection failed', { error: e }))
        .finally(() => {
          current = null;
          schedule();
        });
    }, delay);
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
    shipper = new Shipper({
      host,
      transport,
      spool,
      log,
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      ...(options.sealAfter !== undefined ? { sealAfter: options.sealAfter } : {}),
    });
    log.info('agent started', { host: host.id, name: host.name, server: cfg.serverUrl, intervalMs: cfg.intervalMs, collectors: collectors.map((c) => c.name), spool: cfg.spool.dir });
    // Collect and ship at once, so the host shows up within a second of start; this also primes
    // the counters, so the first interval's sample has rates.
    const first = await runner.collect();
    Object.assign(first.sample.metrics, shipper.metrics());
    options.onSample?.(first.sample);
    shipper.enqueue(first.sample);
    void shipper.flush().catch((e) => log.error('flush failed', { error: e }));
    schedule();
  })();

  // Callers that never await `ready` must not get an unhandled rejection.
  ready.catch((e) => log.critical('agent failed to start', { error: e }));

  return {
    ready,
    host,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ready.catch(() => {});
      if (current) await current;
      if (!shipper) return;
      const deadline = new Promise<void>((res) => setTimeout(res, options.stopTimeoutMs ?? 5_000).unref());
      await Promise.race([shipper.close(), deadline]);
      log.info('agent stopped', { spoolDepth: shipper.metrics()['agent.spool.depth'] });
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
