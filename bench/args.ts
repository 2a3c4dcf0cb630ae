// Tiny flag parser for the benchmarks: --name value, with defaults and a clear error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function parseArgs<T extends Record<string, number | string>>(argv: string[], defaults: T): T {
  const out: Record<string, number | string> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const key = a.slice(2);
    if (!(key in defaults)) throw new Error(`unknown flag --${key}; known: ${Object.keys(defaults).map((k) => `--${k}`).join(', ')}`);
    const val = argv[++i];
    if (val === undefined) throw new Error(`--${key} needs a value`);
    if (typeof defaults[key] === 'number') {
      const n = Number(val);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${key} must be a positive number, got "${val}"`);
      out[key] = n;
    } else out[key] = val;
  }
  return out as T;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Where a benchmark's throwaway stack keeps its data. `tmpfs` (the default, /dev/shm when the
 * machine has it): local workerd fsyncs every Durable Object commit to its SQLite file, and on
 * this VM's shared disk those fsyncs, not our code, set the latency (docs/performance.md,
 * "Ingest"); production object storage is not a local fsync. `disk`: the OS temp directory, to
 * measure that effect. Anything else is taken as a directory.
 */
export function benchDataDir(choice: string, name: string): string {
  const base = choice === 'disk' ? os.tmpdir() : choice === 'tmpfs' ? (tmpfsAvailable() ? '/dev/shm' : os.tmpdir()) : path.resolve(choice);
  return path.join(base, `${name}-${process.pid}`);
}

function tmpfsAvailable(): boolean {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
