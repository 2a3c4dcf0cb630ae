// The log explorer's state in the URL (?q=&service=&level=&trace_id=&span_id=&range=, so the trace
// page and bookmarks can link to a search), its API paths, the trace link, and merging live lines
// into the newest-first list. Types only from protocol/logs.ts (its zod schemas stay out of the
// bundle).
import type { LogHistogramResponse, LogLine, LogSearchResponse, LogTailMessage, TailLine } from '../../../protocol/logs.ts';
import { qs } from './api.ts';
import { traceHref } from './traces.ts';

export type { LogHistogramResponse, LogLine, LogSearchResponse, LogTailMessage, TailLine };

/** protocol/logs.ts LEVEL_NAMES. */
export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export const RANGES: Record<string, number> = { '15m': 15 * 60_000, '1h': 3600_000, '6h': 6 * 3600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };

export interface LogView {
  q: string;
  service: string;
  level: string;
  traceId: string;
  spanId: string;
  range: string;
}

export function readLogView(search: string): LogView {
  const p = new URLSearchParams(search);
  const range = p.get('range') ?? '';
  const level = p.get('level') ?? '';
  const hex = (v: string | null, n: number) => (v && new RegExp(`^[0-9a-fA-F]{${n}}$`).test(v) ? v.toLowerCase() : '');
  const traceId = hex(p.get('trace_id'), 32);
  return {
    q: p.get('q') ?? '',
    service: p.get('service') ?? '',
    level: (LEVELS as readonly string[]).includes(level) ? level : '',
    traceId,
    spanId: hex(p.get('span_id'), 16),
    // A trace's lines may be older than a day: a trace link searches the whole week.
    range: range in RANGES ? range : traceId ? '7d' : '1h',
  };
}

/** A range narrowed from the histogram (or a skipped notice): epoch ms, kept in the URL too. */
export interface PickedRange {
  from: number;
  to: number;
}

export function readPickedRange(search: string): PickedRange | null {
  const p = new URLSearchParams(search);
  const from = Number(p.get('from') ?? NaN);
  const to = Number(p.get('to') ?? NaN);
  return Number.isFinite(from) && Number.isFinite(to) && from < to ? { from, to } : null;
}

export function logViewSearch(v: LogView, r: PickedRange | null = null): string {
  const s = qs({ q: v.q, service: v.service, level: v.level, trace_id: v.traceId, span_id: v.spanId, range: v.range === '1h' ? undefined : v.range, from: r?.from, to: r?.to });
  return s ? `?${s}` : '';
}

/** The filters as the API takes them (no range: the caller adds from/to). */
function filterParams(v: LogView): Record<string, string | undefined> {
  return { q: v.q || undefined, service: v.service || undefined, level: v.level || undefined, trace_id: v.traceId || undefined, span_id: v.spanId || undefined };
}

export const searchPath = (v: LogView, from: number, to: number, cursor?: string) => `/api/v1/logs?${qs({ ...filterParams(v), from, to, cursor, limit: 100 })}`;
export const histogramPath = (v: LogView, from: number, to: number) => `/api/v1/logs/histogram?${qs({ ...filterParams(v), from, to, buckets: 60 })}`;
export const livePath = (v: LogView) => {
  const s = qs({ q: v.q || undefined, service: v.service || undefined, level: v.level || undefined });
  return `/api/v1/logs/live${s ? `?${s}` : ''}`;
};

/** The trace page of a line (the traces page takes ?id=, and ?span= to open that span). */
/** A line's trace page: the trace page's own link (lib/traces.ts). */
export const traceUrl = (traceId: string, spanId?: string | null) => traceHref(traceId, spanId ?? undefined);
/** The explorer on a trace's (or span's) lines: for the trace page to link here. */
export const logsOfTraceUrl = (traceId: string, spanId?: string) => `/app/logs/?${qs({ trace_id: traceId, span_id: spanId })}`;

/** A live line shown in the list: a key of its own (tail lines have no id yet). */
export type ShownLine = (LogLine | TailLine) & { key: string };

/**
 * Inserts live lines into a newest-first list by time (a shipper may send old lines late),
 * keeping at most `max` (the oldest go).
 */
export function mergeLive(list: ShownLine[], incoming: ShownLine[], max: number): ShownLine[] {
  if (incoming.length === 0) return list;
  const out = [...list, ...incoming].sort((a, b) => b.ts - a.ts);
  return out.length > max ? out.slice(0, max) : out;
}

export function formatTs(ts: number): string {
  const d = new Date(ts);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** The level's name for a severity number, as protocol/logs.ts levelName. */
export function levelOf(severity: number): string {
  return severity >= 1 && severity <= 24 ? LEVELS[Math.floor((severity - 1) / 4)]! : '';
}
