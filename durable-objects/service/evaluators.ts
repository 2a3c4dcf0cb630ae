// Rule kinds' evaluators: what values a service rule observes right now (docs/alerting.md,
// "Rule kinds"): an evaluator turns a rule and the service's current signals into observations
// (series labels + one number); the shared engine compares each with the rule's comparator and
// threshold and runs the same state machine, silences, outbox and history for every kind. An
// anomaly rule observes |z| (core/anomaly.ts), a forecast rule the trend's value at its
// horizon (core/forecast.ts).
import type { AnomalySignal, AnomalyWindow } from '../../protocol/anomalies.ts';
import type { Labels } from '../../protocol/series.ts';
import { burnValue, type Counts } from '../core/burn-rate.ts';
import { projected, type TrendPoint } from '../core/forecast.ts';
import { DEFAULT_SIGNAL_WINDOW_MS, matchesServiceSeries, type Rule, type RuleKind } from '../core/rules.ts';
import type { WindowStats } from '../core/signals.ts';
import type { Slo } from '../core/slo.ts';

export interface EvalContext {
  service: string;
  now: number;
  /** Stats over the last windowSec seconds, for the service (no route) or one route. */
  stats(windowSec: number, route?: string): WindowStats;
  /** Routes to evaluate `route` matchers on (with a batch: the routes it touched). */
  routes(): readonly string[];
  slo(id: string): Slo | undefined;
  /** An SLO's good/total over (now - windowMs, now]. */
  sloCounts(id: string, windowMs: number): Counts;
  /** Stats over the windowSec seconds ending at endSec (inclusive), for the service or one route. */
  statsEnding(endSec: number, windowSec: number, route?: string): WindowStats;
  /** The service's latest z-score of a signal and window (null in warm-up or without requests). */
  anomalyZ(signal: AnomalySignal, window: AnomalyWindow): number | null;
  /** `compute` at most once per second per key (forecasts fit many points). */
  perSecond<T>(key: string, compute: () => T): T;
}

export interface Observation {
  labels: Labels;
  value: number;
}

export type Evaluator = (rule: Rule, ctx: EvalContext) => Observation[];

function signalValue(metric: string, s: WindowStats): number | null {
  switch (metric) {
    case 'service.latency.p50':
      return s.p50;
    case 'service.latency.p95':
      return s.p95;
    case 'service.latency.p99':
      return s.p99;
    case 'service.error_rate':
      return s.errorRate;
    case 'service.request_rate':
      return s.rps;
    default:
      return null;
  }
}

/** Service signals: the whole service, or each route the `route` glob selects. No latency without requests. */
export const thresholdEvaluator: Evaluator = (rule, ctx) => {
  if (rule.matchers.service !== undefined && !matchesServiceSeries({ service: rule.matchers.service }, { service: ctx.service })) return [];
  const windowSec = Math.round((rule.windowMs ?? DEFAULT_SIGNAL_WINDOW_MS) / 1000);
  const out: Observation[] = [];
  const observe = (labels: Labels, route?: string) => {
    const v = signalValue(rule.metric, ctx.stats(windowSec, route));
    if (v !== null) out.push({ labels, value: v });
  };
  if (rule.matchers.route === undefined) observe({});
  else for (const route of ctx.routes()) if (matchesServiceSeries(rule.matchers, { service: ctx.service, route })) observe({ route }, route);
  return out;
};

/** SLO burn rate: the lower of the long and the short window's burn (core/burn-rate.ts). */
export const burnRateEvaluator: Evaluator = (rule, ctx) => {
  const slo = rule.sloId === undefined ? undefined : ctx.slo(rule.sloId);
  if (!slo || slo.service !== ctx.service || rule.windowMs === undefined || rule.shortWindowMs === undefined) return [];
  const { value } = burnValue(ctx.sloCounts(slo.id, rule.windowMs), ctx.sloCounts(slo.id, rule.shortWindowMs), slo.objective);
  return [{ labels: { slo: slo.id }, value }];
};

const ANOMALY_SIGNAL: Record<string, AnomalySignal> = {
  'service.latency.p50': 'p50',
  'service.latency.p95': 'p95',
  'service.latency.p99': 'p99',
  'service.error_rate': 'errorRate',
  'service.request_rate': 'rps',
};
const ANOMALY_WINDOW: Record<number, AnomalyWindow> = { 60_000: '1m', 300_000: '5m', 900_000: '15m' };
export const DEFAULT_ANOMALY_WINDOW_MS = 300_000;

/** Anomaly: |z| of the service's signal over the rule's window (the service as a whole). */
export const anomalyEvaluator: Evaluator = (rule, ctx) => {
  if (rule.matchers.service !== undefined && !matchesServiceSeries({ service: rule.matchers.service }, { service: ctx.service })) return [];
  const signal = ANOMALY_SIGNAL[rule.metric];
  const window = ANOMALY_WINDOW[rule.windowMs ?? DEFAULT_ANOMALY_WINDOW_MS];
  if (!signal || !window) return [];
  const z = ctx.anomalyZ(signal, window);
  return z === null ? [] : [{ labels: {}, value: Math.abs(z) }];
};

/** Forecasts fit one point per this many seconds of the window. */
export const FORECAST_STEP_SEC = 5;

/** Forecast on a service signal: the trend of its 5-second values over the rule's window. */
export const forecastEvaluator: Evaluator = (rule, ctx) => {
  if (rule.matchers.service !== undefined && !matchesServiceSeries({ service: rule.matchers.service }, { service: ctx.service })) return [];
  if (rule.horizonMs === undefined || rule.windowMs === undefined) return [];
  const nowSec = Math.floor(ctx.now / 1000);
  const steps = Math.max(3, Math.floor(rule.windowMs / 1000 / FORECAST_STEP_SEC));
  const out: Observation[] = [];
  const observe = (labels: Labels, route?: string) => {
    const v = ctx.perSecond(`${rule.id}|${route ?? ''}`, () => {
      // Complete seconds only: the current one is still filling (its rate would read low).
      const points: TrendPoint[] = [];
      for (let k = steps - 1; k >= 0; k--) {
        const end = nowSec - 1 - k * FORECAST_STEP_SEC;
        points.push([end * 1000, signalValue(rule.metric, ctx.statsEnding(end, FORECAST_STEP_SEC, route))]);
      }
      return projected(points, ctx.now, rule.horizonMs!, rule.comparator);
    });
    if (v !== null) out.push({ labels, value: v });
  };
  if (rule.matchers.route === undefined) observe({});
  else for (const route of ctx.routes()) if (matchesServiceSeries(rule.matchers, { service: ctx.service, route })) observe({ route }, route);
  return out;
};

export const EVALUATORS: Record<RuleKind, Evaluator> = {
  threshold: thresholdEvaluator,
  burn_rate: burnRateEvaluator,
  anomaly: anomalyEvaluator,
  forecast: forecastEvaluator,
};
