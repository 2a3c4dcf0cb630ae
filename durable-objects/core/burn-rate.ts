// Multiwindow, multi-burn-rate SLO alerts (Google SRE Workbook, "Alerting on SLOs", table 5-8):
// for a 30-day SLO, page when the budget burns 14.4x over 1 h and 5 m or 6x over 6 h and 30 m,
// ticket when 3x over 1 d and 2 h or 1x over 3 d and 6 h. Both windows of a pair must burn (the
// long one says it matters, the short one that it is still happening), so the alert resolves as
// soon as the short window recovers. For other SLO windows the alert windows scale with the SLO
// window (a 7-day SLO pages on 14.4x over 14 m and 70 s): the same burn spends the same share of
// the budget in the same share of the window. Pure functions; callers pass counts and times.

export interface Counts {
  good: number;
  total: number;
}

/** How fast the budget burns: the window's error rate over the rate the objective allows. */
export function burnRate(c: Counts, objective: number): number | null {
  if (c.total <= 0) return null;
  return (c.total - c.good) / c.total / (1 - objective);
}

export interface BurnTier {
  name: string;
  factor: number;
  longMs: number;
  shortMs: number;
  severity: 'CRITICAL' | 'WARNING';
}

const H = 3600_000;
const M = 60_000;

/** The workbook's table for a 30-day SLO. */
export const WORKBOOK_TIERS: readonly BurnTier[] = [
  { name: 'page: 2% of budget in 1h', factor: 14.4, longMs: H, shortMs: 5 * M, severity: 'CRITICAL' },
  { name: 'page: 5% of budget in 6h', factor: 6, longMs: 6 * H, shortMs: 30 * M, severity: 'CRITICAL' },
  { name: 'ticket: 10% of budget in 1d', factor: 3, longMs: 24 * H, shortMs: 2 * H, severity: 'WARNING' },
  { name: 'ticket: 10% of budget in 3d', factor: 1, longMs: 72 * H, shortMs: 6 * H, severity: 'WARNING' },
];

/** The workbook's tiers with windows scaled for an SLO of `windowDays` (to whole seconds). */
export function scaledTiers(windowDays: number): BurnTier[] {
  const k = windowDays / 30;
  const s = (ms: number) => Math.max(1000, Math.round((ms * k) / 1000) * 1000);
  return WORKBOOK_TIERS.map((t) => ({ ...t, longMs: s(t.longMs), shortMs: s(t.shortMs) }));
}

/**
 * A burn-rate alert's value: the lower of the two windows' burn rates (a window without
 * requests burns nothing). The alert's condition is `value > factor`, so it holds exactly when
 * both windows burn faster than the factor, and stops the moment the short window recovers.
 */
export function burnValue(long: Counts, short: Counts, objective: number): { long: number; short: number; value: number } {
  const l = burnRate(long, objective) ?? 0;
  const s = burnRate(short, objective) ?? 0;
  return { long: l, short: s, value: Math.min(l, s) };
}
