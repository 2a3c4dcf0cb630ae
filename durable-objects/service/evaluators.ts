// Rule kinds' evaluators: what values a service rule observes right now. The seam for new
// condition kinds (docs/alerting.md, "Rule kinds"): an evaluator turns a rule and the service's
// current signals into observations (series labels + one number); the shared engine compares
// each with the rule's comparator and threshold and runs the same state machine, silences,
// outbox and history for every kind. An anomaly rule would observe |z| (core/anomaly.ts), a
// forecast rule the projected value at its horizon (core/forecast.ts): one function each here,
// one name in RULE_KINDS, one branch in the rules API's checks.
import type { Labels } from '../../protocol/series.ts';
import { burnValue, type Counts } from '../core/burn-rate.ts';
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

export const EVALUATORS: Record<RuleKind, Evaluator> = {
  threshold: thresholdEvaluator,
  burn_rate: burnRateEvaluator,
};
