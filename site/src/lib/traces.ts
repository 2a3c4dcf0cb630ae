// The trace API's shapes for the browser (types only from protocol/traces.ts, which uses zod), the
// links between the trace, search, service and log pages, and the waterfall's layout: a pure
// function from a trace's spans to rows (tree order, depth, offset and width along the trace).
import type { StoredSpan } from '../../../protocol/traces.ts';

export type { Exemplar, StoredSpan, TraceResponse, TraceSearchResponse, TraceSummary } from '../../../protocol/traces.ts';

export const traceHref = (traceId: string, spanId?: string) => `/app/trace/?${new URLSearchParams({ id: traceId, ...(spanId && { span: spanId }) })}`;

export function searchHref(q: { service?: string; route?: string; error?: boolean; minDuration?: number }) {
  const p = new URLSearchParams();
  if (q.service) p.set('service', q.service);
  if (q.route) p.set('route', q.route);
  if (q.error !== undefined) p.set('error', String(q.error));
  if (q.minDuration !== undefined) p.set('min_duration', String(q.minDuration));
  return `/app/traces/?${p}`;
}

/** The log explorer (built by the logs work) filtered to a trace, or one of its spans. */
export const logsHref = (traceId: string, spanId?: string) => `/app/logs/?${new URLSearchParams({ trace_id: traceId, ...(spanId && { span_id: spanId }) })}`;

export const SERVICE_COLORS = ['#3b82f6', '#f59e0b', '#10b981', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16', '#f97316', '#64748b', '#0ea5e9'];
export const ERROR_COLOR = '#ef4444';

export interface WaterfallRow {
  span: StoredSpan;
  depth: number;
  /** Start and width along the trace, in percent of its whole duration. */
  offsetPct: number;
  widthPct: number;
  /** Start relative to the trace's start, ms. */
  startMs: number;
  color: string;
  /** Its parent span is not stored (sampled out, or not yet arrived): shown as a root. */
  missingParent: boolean;
}

export interface Waterfall {
  rows: WaterfallRow[];
  startUs: number;
  totalMs: number;
  services: { name: string; color: string }[];
}

export function layoutWaterfall(spans: readonly StoredSpan[]): Waterfall {
  if (spans.length === 0) return { rows: [], startUs: 0, totalMs: 0, services: [] };
  const byStart = [...spans].sort((a, b) => a.startUs - b.startUs || a.spanId.localeCompare(b.spanId));
  const ids = new Set(byStart.map((s) => s.spanId));
  const children = new Map<string, StoredSpan[]>();
  const roots: StoredSpan[] = [];
  for (const s of byStart) {
    if (s.parentSpanId && ids.has(s.parentSpanId) && s.parentSpanId !== s.spanId) {
      let list = children.get(s.parentSpanId);
      if (!list) children.set(s.parentSpanId, (list = []));
      list.push(s);
    } else roots.push(s);
  }
  const startUs = byStart[0]!.startUs;
  const endUs = Math.max(...byStart.map((s) => s.startUs + s.durationMs * 1000));
  const totalMs = Math.max((endUs - startUs) / 1000, 0.001);
  const colors = new Map<string, string>();
  for (const s of byStart) if (!colors.has(s.service)) colors.set(s.service, SERVICE_COLORS[colors.size % SERVICE_COLORS.length]!);

  const rows: WaterfallRow[] = [];
  const seen = new Set<StoredSpan>();
  const visit = (root: StoredSpan) => {
    // Depth first, children by start; iterative (a trace may be deep), each span once.
    const stack: [StoredSpan, number][] = [[root, 0]];
    while (stack.length) {
      const [s, depth] = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      const startMs = (s.startUs - startUs) / 1000;
      rows.push({
        span: s,
        depth,
        startMs,
        offsetPct: (startMs / totalMs) * 100,
        widthPct: (s.durationMs / totalMs) * 100,
        color: colors.get(s.service)!,
        missingParent: depth === 0 && s.parentSpanId !== '',
      });
      const kids = children.get(s.spanId) ?? [];
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, depth + 1]);
    }
  };
  for (const r of roots) visit(r);
  // Spans whose parents form a cycle are reached from no root: shown as roots too.
  for (const s of byStart) if (!seen.has(s)) visit(s);
  return { rows, startUs, totalMs, services: [...colors].map(([name, color]) => ({ name, color })) };
}
