// The SLO pages' pure parts: the form's draft to and from the API's SLO body, the live status
// merged from service sockets, the SLI and budget lines over the window from history buckets,
// and display of budgets, burn rates and time to exhaustion (docs/slo.md).
import type { SloStatus } from '../../../durable-objects/core/slo.ts';

export type { SloStatus };

export interface SloJson {
  id: string;
  name: string;
  service: string;
  route: string | null;
  kind: 'availability' | 'latency';
  threshold_ms: number | null;
  objective: number;
  window_days: number;
  created_at: number;
  updated_at: number;
}

export interface SloHistory {
  slo: SloJson;
  from: number;
  to: number;
  step_ms: number;
  points: { ts: number; good: number; total: number }[];
}

/** The form's fields: the objective as a percentage (99.9), the threshold as text. */
export interface SloDraft {
  name: string;
  service: string;
  route: string;
  kind: 'availability' | 'latency';
  thresholdMs: string;
  objectivePct: string;
  windowDays: 7 | 28 | 30;
}

export const EMPTY_SLO: SloDraft = { name: '', service: '', route: '', kind: 'availability', thresholdMs: '', objectivePct: '99.9', windowDays: 30 };

export function sloDraft(s: SloJson): SloDraft {
  return {
    name: s.name,
    service: s.service,
    route: s.route ?? '',
    kind: s.kind,
    thresholdMs: s.threshold_ms === null ? '' : String(s.threshold_ms),
    // 0.999 * 100 = 99.9 exactly after rounding away float noise.
    objectivePct: String(Math.round(s.objective * 100 * 1e6) / 1e6),
    windowDays: s.window_days as SloDraft['windowDays'],
  };
}

/** The API body; the server checks the values and names the field that is wrong. */
export function sloBody(d: SloDraft) {
  const pct = Number(d.objectivePct);
  return {
    name: d.name.trim(),
    service: d.service.trim(),
    route: d.route.trim() || null,
    kind: d.kind,
    threshold_ms: d.kind === 'latency' && d.thresholdMs.trim() !== '' ? Number(d.thresholdMs) : null,
    objective: Number.isFinite(pct) ? Math.round(pct * 1e6) / 1e8 : NaN,
    window_days: d.windowDays,
  };
}

/** Newer statuses (by `at`) replace older ones of the same SLO. */
export function mergeStatuses(cur: Readonly<Record<string, SloStatus>>, incoming: readonly SloStatus[]): Record<string, SloStatus> {
  let out: Record<string, SloStatus> | null = null;
  for (const s of incoming) {
    const old = (out ?? cur)[s.id];
    if (old && old.at >= s.at) continue;
    out ??= { ...cur };
    out[s.id] = s;
  }
  return out ?? (cur as Record<string, SloStatus>);
}

export interface SloPoint {
  ts: number;
  /** good / total from the window's start to the end of this bucket; null before any request. */
  sli: number | null;
  /** Budget left at the end of this bucket, as a fraction of the budget the requests so far allow. */
  budget: number | null;
}

/**
 * Cumulative SLI and budget left from the window's start, per bucket: what GET /status gives for
 * "now", traced back through the window (the last point equals the status when the whole window
 * is shown).
 */
export function sloSeries(points: readonly { ts: number; good: number; total: number }[], objective: number): SloPoint[] {
  let good = 0;
  let total = 0;
  return [...points]
    .sort((a, b) => a.ts - b.ts)
    .map((p) => {
      good += p.good;
      total += p.total;
      const allowed = (1 - objective) * total;
      const bad = total - good;
      return { ts: p.ts, sli: total ? good / total : null, budget: total ? (allowed > 0 ? 1 - bad / allowed : bad > 0 ? -1 : 1) : null };
    });
}

/** Time until the budget is spent: "now", "3 d 4 h", "2 h 5 m", "40 s"; "–" when nothing burns. */
export function formatExhaustion(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  if (ms <= 0) return 'now';
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d${h ? ` ${h} h` : ''}`;
  if (h > 0) return `${h} h${m ? ` ${m} m` : ''}`;
  if (m > 0) return `${m} m`;
  return `${s} s`;
}

/** A fraction as a percentage with enough digits for SLOs (99.95 %). */
export function formatPct(f: number | null, digits = 2): string {
  if (f === null || !Number.isFinite(f)) return '–';
  return `${(f * 100).toFixed(digits)}%`;
}

export const formatBurn = (b: number | null) => (b === null || !Number.isFinite(b) ? '–' : `${b < 10 ? b.toFixed(2) : b.toFixed(1)}x`);

/** Badge class per status: ok green, burning amber, exhausted red, no data grey. */
export const STATUS_CLASS: Record<SloStatus['status'], string> = { ok: 's-ok', burning: 's-WARNING', exhausted: 's-CRITICAL', no_data: 'muted' };

export const sloHref = (id: string) => `/app/slo/?id=${encodeURIComponent(id)}`;

export const describeSlo = (s: Pick<SloJson, 'kind' | 'threshold_ms' | 'objective' | 'window_days' | 'route'>) =>
  `${s.kind === 'latency' ? `${formatPct(s.objective, objectiveDigits(s.objective))} of requests ≤ ${s.threshold_ms} ms` : `${formatPct(s.objective, objectiveDigits(s.objective))} of requests not errors`}${s.route ? ` on ${s.route}` : ''}, ${s.window_days} d`;

/** Digits that show an objective exactly (99.9 % → 1, 99.95 % → 2, 99 % → 0). */
export function objectiveDigits(o: number): number {
  for (let d = 0; d < 4; d++) if (Math.abs(Math.round(o * 100 * 10 ** d) - o * 100 * 10 ** d) < 1e-6) return d;
  return 4;
}
