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
}

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
