// Custom metrics: scrape a Prometheus text endpoint, or run an exec plugin that prints the same
// format on stdout. Both are ordinary collectors, so the runner's timeout and success self-metrics
// apply, and a failing plugin costs only its own metrics.
import { spawn } from 'node:child_process';
import { parsePrometheus, toCustomMetrics } from '../prom.ts';
import type { Collector, Metrics } from '../types.ts';

export interface CustomSettings {
  /** URLs serving the Prometheus text format. */
  prometheus: string[];
  /** Commands: a string runs under /bin/sh -c, an array is argv. */
  exec: (string | string[])[];
  /** Per scrape or plugin run (kept under the runner's own timeout). */
  timeoutMs: number;
  /** Series taken from one source per sample. */
  maxSeries: number;
}

export const DEFAULT_CUSTOM: CustomSettings = { prometheus: [], exec: [], timeoutMs: 1_500, maxSeries: 500 };

/** A collector label value: short, and the same every interval. */
const label = (kind: string, what: string) => `custom:${kind}:${what}`.slice(0, 200);

function fromText(text: string, maxSeries: number): Metrics {
  const parsed = parsePrometheus(text);
  if (parsed.samples.length === 0 && parsed.errors.length > 0) {
    const e = parsed.errors[0]!;
    throw new Error(`not Prometheus text format (line ${e.line}: ${e.error})`);
  }
  return toCustomMetrics(parsed.samples, maxSeries).metrics;
}

export function prometheusCollector(url: string, s: Pick<CustomSettings, 'timeoutMs' | 'maxSeries'>, doFetch: typeof fetch = fetch): Collector {
  return {
    name: label('prometheus', url),
    async collect() {
      const res = await doFetch(url, { headers: { accept: 'text/plain;version=0.0.4' }, signal: AbortSignal.timeout(s.timeoutMs) });
      const text = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
      return fromText(text, s.maxSeries);
    },
  };
}

/** Output beyond this is cut off (a runaway plugin must not fill memory). */
const MAX_OUTPUT = 4 * 1024 * 1024;

export function execCollector(cmd: string | string[], s: Pick<CustomSettings, 'timeoutMs' | 'maxSeries'>): Collector {
  const argv = typeof cmd === 'string' ? ['/bin/sh', '-c', cmd] : cmd;
  return {
    name: label('exec', typeof cmd === 'string' ? cmd : cmd.join(' ')),
    collect: () =>
      new Promise<Metrics>((resolve, reject) => {
        const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        const timer = setTimeout(() => {
          p.kill('SIGKILL');
          reject(new Error(`plugin timed out after ${s.timeoutMs} ms`));
        }, s.timeoutMs);
        p.stdout.setEncoding('utf8').on('data', (d: string) => {
          if (out.length < MAX_OUTPUT) out += d;
        });
        p.stderr.setEncoding('utf8').on('data', (d: string) => {
          if (err.length < 1000) err += d;
        });
        p.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        p.on('close', (code) => {
          clearTimeout(timer);
          if (code !== 0) return reject(new Error(`plugin exited with ${code}${err ? `: ${err.trim().slice(0, 300)}` : ''}`));
          try {
            resolve(fromText(out, s.maxSeries));
          } catch (e) {
            reject(e);
          }
        });
      }),
  };
}

export function customCollectors(s: CustomSettings): Collector[] {
  return [...s.prometheus.map((u) => prometheusCollector(u, s)), ...s.exec.map((c) => execCollector(c, s))];
}
