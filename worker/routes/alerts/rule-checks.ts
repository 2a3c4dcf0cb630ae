// Cross-field checks of an alert rule (create, and a patch merged onto the stored rule): which
// metrics, matchers and windows go with which kind. Each failure is a 400 naming the field.
import { isKnownMetric } from '../../../protocol/metrics.ts';
import { BURN_RATE_METRIC, HOST_UP_METRIC, isServiceMetric, MATCHER_KEYS, SERVICE_MATCHER_KEYS, type RuleKind } from '../../../durable-objects/core/rules.ts';
import { and, eq } from 'drizzle-orm';
import { slos } from '../../db/alerts-schema.ts';
import type { Db } from '../../db/client.ts';
import { ApiError } from '../../errors.ts';

/** The per-second window holds 15 minutes: a service signal's window fits in it. */
export const MAX_SIGNAL_WINDOW_MS = 15 * 60_000;
/** The SLO counts keep minutes for 3 days: the longest burn-rate window (the workbook's). */
export const MAX_BURN_WINDOW_MS = 3 * 86_400_000;

export interface RuleShape {
  kind: RuleKind;
  metric?: string;
  matchers: Record<string, string | undefined>;
  comparator: string;
  threshold: number;
  window?: number | null;
  short_window?: number | null;
  slo_id?: string | null;
  horizon?: number | null;
}

/** Anomaly rules score one of the service object's windows (protocol/anomalies.ts). */
export const ANOMALY_WINDOW_MS = [60_000, 300_000, 900_000] as const;
/** A host forecast is fitted over the raw tier, which keeps 24 h. */
export const MAX_HOST_FORECAST_WINDOW_MS = 24 * 3600_000;
export const MAX_FORECAST_HORIZON_MS = 7 * 86_400_000;

const bad = (field: string, message: string) => new ApiError(400, 'invalid_request', `${field}: ${message}`, field);

/** Throws a 400 naming the field; returns the metric the rule is stored with. */
export async function checkRule(db: Db, tenantId: string, r: RuleShape): Promise<string> {
  const matcherKeys = Object.entries(r.matchers).filter(([, v]) => v !== undefined).map(([k]) => k);
  if (r.kind === 'burn_rate') {
    if (r.metric !== undefined && r.metric !== BURN_RATE_METRIC) throw bad('metric', `a burn_rate rule's metric is "${BURN_RATE_METRIC}" (or leave it out)`);
    if (!r.slo_id) throw bad('slo_id', 'a burn_rate rule needs the SLO whose budget it watches');
    const found = await db.select({ id: slos.id }).from(slos).where(and(eq(slos.id, r.slo_id), eq(slos.tenantId, tenantId)));
    if (!found.length) throw bad('slo_id', `no SLO "${r.slo_id}" in this organization`);
    if (r.window == null) throw bad('window', 'a burn_rate rule needs its long window in ms (e.g. 3600000 for 1 h)');
    if (r.short_window == null) throw bad('short_window', 'a burn_rate rule needs its short window in ms (e.g. 300000 for 5 m)');
    if (r.window > MAX_BURN_WINDOW_MS) throw bad('window', `at most ${MAX_BURN_WINDOW_MS} ms (3 days)`);
    if (r.window < 60_000) throw bad('window', 'at least 60000 ms');
    if (r.short_window < 1000 || r.short_window >= r.window) throw bad('short_window', 'must be at least 1000 ms and shorter than window');
    if (r.comparator !== '>') throw bad('comparator', 'a burn_rate rule fires when both windows burn faster than threshold: use ">"');
    if (!(r.threshold > 0)) throw bad('threshold', 'the burn-rate factor must be above 0 (e.g. 14.4)');
    if (matcherKeys.length) throw bad(`matchers.${matcherKeys[0]}`, 'a burn_rate rule selects its series through slo_id, not matchers');
    return BURN_RATE_METRIC;
  }
  if (r.slo_id) throw bad('slo_id', 'only burn_rate rules name an SLO');
  if (r.kind !== 'forecast' && r.horizon != null) throw bad('horizon', 'only forecast rules have a horizon');
  if (r.kind === 'anomaly') return checkAnomaly(r, matcherKeys);
  if (r.kind === 'forecast') return checkForecast(r, matcherKeys);
  if (r.short_window != null) throw bad('short_window', 'only burn_rate rules have a short window');
  const metric = r.metric;
  if (metric === undefined) throw bad('metric', 'required');
  if (isServiceMetric(metric)) {
    const wrong = matcherKeys.find((k) => !(SERVICE_MATCHER_KEYS as readonly string[]).includes(k));
    if (wrong) throw bad(`matchers.${wrong}`, `service rules match on ${SERVICE_MATCHER_KEYS.join(' and ')}`);
    if (r.window != null && (r.window < 1000 || r.window > MAX_SIGNAL_WINDOW_MS || r.window % 1000 !== 0))
      throw bad('window', `whole seconds from 1000 to ${MAX_SIGNAL_WINDOW_MS} ms`);
    if ((metric === 'service.error_rate' && (r.threshold < 0 || r.threshold > 1)) || r.threshold < 0)
      throw bad('threshold', metric === 'service.error_rate' ? 'an error rate is a fraction from 0 to 1' : 'must not be negative');
    return metric;
  }
  if (metric !== HOST_UP_METRIC && !isKnownMetric(metric)) throw bad('metric', 'is not a known metric (see GET /api/v1/metrics/catalog, "host.up", or a service signal: service.latency.p50/p95/p99, service.error_rate, service.request_rate)');
  const wrong = matcherKeys.find((k) => !(MATCHER_KEYS as readonly string[]).includes(k));
  if (wrong) throw bad(`matchers.${wrong}`, `host rules match on ${MATCHER_KEYS.join(', ')}`);
  if (r.window != null) throw bad('window', 'host rules are evaluated on each sample; only service and burn_rate rules have a window');
  return metric;
}

function checkAnomaly(r: RuleShape, matcherKeys: string[]): string {
  if (r.metric === undefined) throw bad('metric', 'required: the service signal scored (service.latency.p50/p95/p99, service.error_rate, service.request_rate)');
  if (!isServiceMetric(r.metric)) throw bad('metric', 'anomaly rules watch a service signal: service.latency.p50/p95/p99, service.error_rate or service.request_rate');
  const wrong = matcherKeys.find((k) => k !== 'service');
  if (wrong) throw bad(`matchers.${wrong}`, 'anomalies are scored for the service as a whole: match on service only');
  if (r.window != null && !(ANOMALY_WINDOW_MS as readonly number[]).includes(r.window)) throw bad('window', `one of ${ANOMALY_WINDOW_MS.join(', ')} ms (the 1 m, 5 m and 15 m windows)`);
  if (r.comparator !== '>' && r.comparator !== '>=') throw bad('comparator', 'an anomaly rule compares |z| with its threshold: use ">=" or ">"');
  if (!(r.threshold > 0)) throw bad('threshold', 'the |z| to fire at must be above 0 (3 is the flag in the live stream)');
  return r.metric;
}

function checkForecast(r: RuleShape, matcherKeys: string[]): string {
  const metric = r.metric;
  if (metric === undefined) throw bad('metric', 'required');
  if (r.horizon == null) throw bad('horizon', 'a forecast rule needs how far ahead to project, in ms (e.g. 14400000 for 4 h)');
  if (r.horizon < 1000 || r.horizon > MAX_FORECAST_HORIZON_MS) throw bad('horizon', `from 1000 to ${MAX_FORECAST_HORIZON_MS} ms (7 days)`);
  if (r.comparator === '==') throw bad('comparator', 'a trend crosses a threshold: use >, >=, < or <=');
  if (r.window == null) throw bad('window', 'a forecast rule needs the window its trend is fitted over, in ms');
  if (isServiceMetric(metric)) {
    const wrong = matcherKeys.find((k) => !(SERVICE_MATCHER_KEYS as readonly string[]).includes(k));
    if (wrong) throw bad(`matchers.${wrong}`, `service rules match on ${SERVICE_MATCHER_KEYS.join(' and ')}`);
    if (r.window < 30_000 || r.window > MAX_SIGNAL_WINDOW_MS || r.window % 1000 !== 0) throw bad('window', `whole seconds from 30000 to ${MAX_SIGNAL_WINDOW_MS} ms (the per-second window)`);
    return metric;
  }
  if (metric === HOST_UP_METRIC || !isKnownMetric(metric)) throw bad('metric', 'a forecast watches a host metric (GET /api/v1/metrics/catalog) or a service signal');
  const wrong = matcherKeys.find((k) => !(MATCHER_KEYS as readonly string[]).includes(k));
  if (wrong) throw bad(`matchers.${wrong}`, `host rules match on ${MATCHER_KEYS.join(', ')}`);
  if (r.window < 60_000 || r.window > MAX_HOST_FORECAST_WINDOW_MS) throw bad('window', `from 60000 to ${MAX_HOST_FORECAST_WINDOW_MS} ms (the raw tier's 24 h)`);
  return metric;
}
