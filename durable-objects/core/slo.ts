// SLOs as pure data and functions (docs/slo.md): which requests of a span batch an SLO counts
// and how good they were, and an SLO's live status (SLI, error budget, burn rates, time to
// exhaustion) from exact good/total counts over windows. No storage, no clock.
import { burnRate, type Counts } from './burn-rate.ts';

export const SLO_KINDS = ['availability', 'latency'] as const;
export type SloKind = (typeof SLO_KINDS)[number];
export const SLO_WINDOW_DAYS = [7, 28, 30] as const;
export type SloWindowDays = (typeof SLO_WINDOW_DAYS)[number];

export interface Slo {
  id: string;
  name: string;
  service: string;
  /** null: every request of the service. */
  route: string | null;
  kind: SloKind;
  /** Latency SLOs: good = at or under this many ms. */
  thresholdMs: number | null;
  /** Fraction of good requests, 0 < objective < 1 (0.999 = 99.9 %). */
  objective: number;
  windowDays: SloWindowDays;
  createdAt: number;
}

/** The key a latency threshold is counted under in a batch entry's `le` map. */
export const thresholdKey = (ms: number) => String(ms);

/** One route-second of a span batch as the SLO counter sees it. */
export interface CountedEntry {
  route: string;
  count: number;
  errors: number;
  /** Requests at or under each latency threshold (ms, as thresholdKey) the worker was asked for. */
  le?: Record<string, number>;
}

/**
 * Good and total of one entry for one SLO, or null when the SLO does not count it: another route,
 * or a latency threshold the entry has no exact count for (entries from duration histograms).
 */
export function countEntry(slo: Slo, e: CountedEntry): Counts | null {
  if (slo.route !== null && e.route !== slo.route) return null;
  if (slo.kind === 'availability') return { good: e.count - e.errors, total: e.count };
  const good = e.le?.[thresholdKey(slo.thresholdMs!)];
  return good === undefined ? null : { good, total: e.count };
}

/** The latency thresholds the worker must count for a service (sorted, distinct). */
export function thresholdsFor(slos: readonly Slo[] | undefined, service: string): number[] {
  const out = new Set<number>();
  for (const s of slos ?? []) if (s.service === service && s.kind === 'latency' && s.thresholdMs !== null) out.add(s.thresholdMs);
  return [...out].sort((a, b) => a - b);
}

export const BURN_WINDOWS = { '5m': 5 * 60_000, '30m': 30 * 60_000, '1h': 3600_000, '6h': 6 * 3600_000, '1d': 86_400_000, '3d': 3 * 86_400_000 } as const;
export type BurnWindow = keyof typeof BURN_WINDOWS;

export interface SloStatus {
  id: string;
  name: string;
  service: string;
  route: string | null;
  kind: SloKind;
  thresholdMs: number | null;
  objective: number;
  windowDays: number;
  /** When the status was computed (epoch ms). */
  at: number;
  good: number;
  total: number;
  /** good / total over the window; null without requests. */
  sli: number | null;
  /** Bad requests the window allows: (1 - objective) x total. */
  budgetRequests: number;
  /** Allowed bad requests not yet spent (negative once overspent). */
  budgetRemainingRequests: number;
  /** 1 - bad / allowed (1 = untouched, 0 = spent, negative = overspent); null without requests. */
  budgetRemaining: number | null;
  /** Error rate / (1 - objective) per window; null for a window without requests. */
  burnRates: Record<BurnWindow, number | null>;
  /** At the last hour's bad-request rate, ms until the budget is spent; 0 if it is; null if nothing burns. */
  exhaustsInMs: number | null;
  status: 'ok' | 'burning' | 'exhausted' | 'no_data';
}

/** `sum(windowMs)`: good and total over (now - windowMs, now]. */
export function sloStatus(slo: Slo, sum: (windowMs: number) => Counts, now: number): SloStatus {
  const all = sum(slo.windowDays * 86_400_000);
  const allowed = (1 - slo.objective) * all.total;
  const bad = all.total - all.good;
  const remaining = allowed - bad;
  const burnRates = Object.fromEntries(Object.entries(BURN_WINDOWS).map(([k, ms]) => [k, burnRate(sum(ms), slo.objective)])) as Record<BurnWindow, number | null>;
  const hour = sum(BURN_WINDOWS['1h']);
  const badPerMs = (hour.total - hour.good) / BURN_WINDOWS['1h'];
  const exhaustsInMs = remaining <= 0 && all.total > 0 ? 0 : badPerMs > 0 ? remaining / badPerMs : null;
  const budgetRemaining = all.total > 0 ? (allowed > 0 ? 1 - bad / allowed : bad > 0 ? -Infinity : 1) : null;
  const status = all.total === 0 ? 'no_data' : remaining <= 0 ? 'exhausted' : (burnRates['1h'] ?? 0) > 1 ? 'burning' : 'ok';
  return {
    id: slo.id,
    name: slo.name,
    service: slo.service,
    route: slo.route,
    kind: slo.kind,
    thresholdMs: slo.thresholdMs,
    objective: slo.objective,
    windowDays: slo.windowDays,
    at: now,
    good: all.good,
    total: all.total,
    sli: all.total > 0 ? all.good / all.total : null,
    budgetRequests: allowed,
    budgetRemainingRequests: remaining,
    budgetRemaining: budgetRemaining === -Infinity ? null : budgetRemaining,
    burnRates,
    exhaustsInMs,
    status,
  };
}
