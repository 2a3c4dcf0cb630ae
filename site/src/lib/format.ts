// Number and time formatting by the catalog's units.
import type { Unit } from '../../../protocol/metrics.ts';

const BYTES = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

export function formatValue(v: number | null | undefined, unit: Unit | string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  switch (unit) {
    case 'percent':
      return `${v.toFixed(v < 10 ? 1 : 0)}%`;
    case 'bytes':
    case 'bytes/s': {
      let i = 0;
      let x = Math.abs(v);
      while (x >= 1024 && i < BYTES.length - 1) (x /= 1024), i++;
      return `${(v < 0 ? '-' : '') + x.toFixed(x < 10 && i > 0 ? 1 : 0)} ${BYTES[i]}${unit === 'bytes/s' ? '/s' : ''}`;
    }
    case 'ms':
      return `${v.toFixed(v < 10 ? 1 : 0)} ms`;
    case 'latency': // request durations: ms, seconds from 1 s
      return v >= 1000 ? `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`;
    case 'load':
      return v.toFixed(2);
    case 'ops/s':
    case 'req/s':
    case 'packets/s':
    case 'errors/s':
      return `${compact(v)}/s`;
    default:
      return compact(v);
  }
}

/** An error rate (0..1) as a percentage; small rates keep two decimals (0.25 % matters). */
export function formatErrorRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '–';
  const v = rate * 100;
  if (v === 0) return '0%';
  return v < 1 ? `${v.toFixed(2)}%` : `${v.toFixed(v < 10 ? 1 : 0)}%`;
}

function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

export const formatTime = (ms: number) => new Date(ms).toLocaleString();
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}
