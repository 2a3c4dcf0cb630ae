// Runs every collector concurrently with its own timeout, so one failing or hanging collector
// never stops the others, and reports each one's duration and success with the sample.
import { LIMITS, type Sample } from '../protocol/index.ts';
import type { CollectContext, Collector, Metrics } from './types.ts';
import { round } from './procfs.ts';

export interface CollectorResult {
  name: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

export interface RunnerOptions {
  /** Per-collector time limit (default 2 s; the interval is 5 s). */
  timeoutMs?: number;
  procRoot?: string;
  sysRoot?: string;
  rootFs?: string;
  /** Clocks, injectable for tests. */
  now?: () => number;
  mono?: () => number;
}

export interface RunResult {
  sample: Sample;
  results: CollectorResult[];
}

export class Runner {
  private readonly timeoutMs: number;
  /** Collectors whose previous call has not settled: not started again until it does. */
  private readonly busy = new Set<string>();

  constructor(
    readonly collectors: readonly Collector[],
    private readonly opts: RunnerOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 2_000;
  }

  /** `ts` overrides the sample's timestamp (the agent passes its interval-aligned slot). */
  async collect(ts?: number): Promise<RunResult> {
    const ctx: CollectContext = {
      now: ts ?? Math.round((this.opts.now ?? Date.now)()),
      mono: (this.opts.mono ?? performance.now.bind(performance))(),
      procRoot: this.opts.procRoot ?? '/proc',
      sysRoot: this.opts.sysRoot ?? '/sys',
      rootFs: this.opts.rootFs ?? '',
    };
    const outcomes = await Promise.all(this.collectors.map((c) => this.runOne(c, ctx)));
    const metrics: Metrics = {};
    const results: CollectorResult[] = [];
    const duration: { labels: { collector: string }; value: number }[] = [];
    const success: { labels: { collector: string }; value: number }[] = [];
    for (const { result, metrics: m } of outcomes) {
      results.push(result);
      if (m) Object.assign(metrics, m);
      duration.push({ labels: { collector: result.name }, value: round(result.durationMs, 3) });
      success.push({ labels: { collector: result.name }, value: result.ok ? 1 : 0 });
    }
    // Leave room for the self-metrics added here and by the shipper.
    const trimmed = capSeries(metrics, LIMITS.maxSeriesPerSample - 2 * duration.length - 16);
    if (trimmed) results.push({ name: 'limits', ok: false, durationMs: 0, error: `dropped ${trimmed} series over the ${LIMITS.maxSeriesPerSample} per-sample limit` });
    metrics['agent.collector.duration'] = duration;
    metrics['agent.collector.success'] = success;
    return { sample: { ts: ctx.now, metrics }, results };
  }

  private async runOne(c: Collector, ctx: CollectContext): Promise<{ result: CollectorResult; metrics?: Metrics }> {
    const started = performance.now();
    const fail = (error: string) => ({ result: { name: c.name, ok: false, durationMs: performance.now() - started, error } });
    if (this.busy.has(c.name)) return fail('previous collection still running');
    this.busy.add(c.name);
    // Promise.resolve().then() turns a synchronous throw into a rejection.
    const work = Promise.resolve()
      .then(() => c.collect(ctx))
      .finally(() => this.busy.delete(c.name));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const metrics = await Promise.race([work, timeout]);
      return { result: { name: c.name, ok: true, durationMs: performance.now() - started }, metrics: dropNonFinite(metrics) };
    } catch (e) {
      // The late result of a timed-out collector is dropped; its rejection is handled here too.
      work.catch(() => {});
      return fail(e instanceof Error ? e.message : String(e));
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The wire rejects NaN/Infinity; one odd value must not cost the whole sample. */
function dropNonFinite(m: Metrics): Metrics {
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) delete m[k];
    } else {
      const kept = v.filter((x) => Number.isFinite(x.value));
      if (kept.length === 0) delete m[k];
      else if (kept.length !== v.length) m[k] = kept;
    }
  }
  return m;
}

/**
 * The server refuses a sample with too many series (e.g. a node with hundreds of veth
 * interfaces); shorten the longest lists until it fits, and say how many were dropped.
 */
export function capSeries(m: Metrics, max: number): number {
  const lists = Object.entries(m).filter((e): e is [string, Exclude<Metrics[string], number>] => Array.isArray(e[1]));
  let total = Object.values(m).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 1), 0);
  let dropped = 0;
  lists.sort((a, b) => b[1].length - a[1].length);
  while (total > max && lists.length && lists[0]![1].length > 0) {
    const [name, list] = lists[0]!;
    const cut = Math.min(total - max, Math.max(1, list.length - (lists[1]?.[1].length ?? 0)));
    m[name] = list.slice(0, list.length - cut);
    lists[0] = [name, m[name] as typeof list];
    total -= cut;
    dropped += cut;
    lists.sort((a, b) => b[1].length - a[1].length);
  }
  return dropped;
}
