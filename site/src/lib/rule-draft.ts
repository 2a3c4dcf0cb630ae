// The rule editor's draft and the API body it becomes: host rules, service signal rules, SLO
// burn-rate, anomaly and forecast rules share one form; each kind sends only the fields the rules
// API takes for it (worker/routes/alerts/rule-checks.ts), so the server's 400s name real mistakes.
import type { RuleJson } from './alert-types.ts';

/** protocol: durable-objects/core/rules.ts SERVICE_METRICS and MATCHER_KEYS (types only there). */
export const SERVICE_METRICS = ['service.latency.p50', 'service.latency.p95', 'service.latency.p99', 'service.error_rate', 'service.request_rate'] as const;
export const HOST_MATCHERS = ['host', 'mount', 'interface', 'core', 'device'] as const;
export const SERVICE_MATCHERS = ['service', 'route'] as const;

export type RuleDraft = Omit<RuleJson, 'id' | 'created_at' | 'updated_at'>;
export type RuleFamily = 'host' | 'service' | 'burn_rate' | 'anomaly' | 'forecast';

export const isServiceMetric = (m: string) => (SERVICE_METRICS as readonly string[]).includes(m);
export const familyOf = (d: Pick<RuleDraft, 'kind' | 'metric'>): RuleFamily => (d.kind === 'threshold' ? (isServiceMetric(d.metric) ? 'service' : 'host') : d.kind);
/** The anomaly windows the service object scores (protocol/anomalies.ts). */
export const ANOMALY_WINDOWS: [number, string][] = [
  [60_000, '1 m'],
  [300_000, '5 m'],
  [900_000, '15 m'],
];

export const EMPTY_RULE: RuleDraft = { name: '', kind: 'threshold', metric: 'cpu.usage.total', matchers: {}, comparator: '>', threshold: 80, for: 0, keep_firing_for: 0, repeat_interval: 300_000, severity: 'WARNING', channel_ids: [], enabled: true, window: null, short_window: null, slo_id: null, horizon: null };

/** Switching the form to another family: sensible defaults for it, keeping name, severity and channels. */
export function switchFamily(d: RuleDraft, to: RuleFamily, sloId: string | null): RuleDraft {
  const keep = { name: d.name, severity: d.severity, channel_ids: d.channel_ids, enabled: d.enabled };
  if (to === 'host') return { ...EMPTY_RULE, ...keep };
  if (to === 'service') return { ...EMPTY_RULE, ...keep, metric: 'service.latency.p95', threshold: 200, repeat_interval: 60_000, window: 60_000 };
  if (to === 'anomaly') return { ...EMPTY_RULE, ...keep, kind: 'anomaly', metric: 'service.latency.p95', comparator: '>=', threshold: 3, repeat_interval: 60_000, window: 300_000 };
  // Disk full within 4 h, fitted over the last hour.
  if (to === 'forecast') return { ...EMPTY_RULE, ...keep, kind: 'forecast', metric: 'disk.usage.percent', comparator: '>=', threshold: 95, window: 3600_000, horizon: 4 * 3600_000 };
  // The workbook's fast page for a 30-day SLO: 14.4x over 1 h and 5 m.
  return { ...EMPTY_RULE, ...keep, kind: 'burn_rate', metric: 'slo.burn_rate', threshold: 14.4, repeat_interval: 60_000, window: 3600_000, short_window: 300_000, slo_id: sloId, severity: 'CRITICAL' };
}

/**
 * A new metric for the draft. A forecast draft moves between host metrics and service signals; a
 * repeat interval still at the old class's default follows to the new one's (host 5 min, service
 * 1 min, as the rules API defaults them), so a service forecast from the editor is not debounced
 * like a host rule. An interval someone chose stays.
 */
export function withMetric(d: RuleDraft, metric: string): RuleDraft {
  const was = isServiceMetric(d.metric);
  const now = isServiceMetric(metric);
  const defaultOf = (service: boolean) => (service ? 60_000 : 300_000);
  return { ...d, metric, ...(was !== now && d.repeat_interval === defaultOf(was) && { repeat_interval: defaultOf(now) }) };
}

/** Which matchers the draft's family takes (anomalies are scored for the service as a whole). */
export function matcherKeysOf(d: Pick<RuleDraft, 'kind' | 'metric'>): readonly string[] {
  const f = familyOf(d);
  if (f === 'anomaly') return ['service'];
  if (f === 'forecast') return isServiceMetric(d.metric) ? SERVICE_MATCHERS : HOST_MATCHERS;
  return f === 'host' ? HOST_MATCHERS : f === 'service' ? SERVICE_MATCHERS : [];
}

/** Matchers of the draft's family only, empty values dropped. */
function matchersFor(d: RuleDraft): Record<string, string> {
  const keys: readonly string[] = matcherKeysOf(d);
  return Object.fromEntries(Object.entries(d.matchers).filter(([k, v]) => keys.includes(k) && v !== ''));
}

/** The body of POST/PATCH /api/v1/alerts/rules (and of the preview, which ignores the extra fields' absence). */
export function ruleBody(d: RuleDraft) {
  const f = familyOf(d);
  const common = { name: d.name, comparator: d.comparator, threshold: d.threshold, for: d.for, keep_firing_for: d.keep_firing_for, repeat_interval: d.repeat_interval, severity: d.severity, channel_ids: d.channel_ids, enabled: d.enabled };
  if (f === 'burn_rate') return { ...common, kind: 'burn_rate' as const, matchers: {}, slo_id: d.slo_id, window: d.window, short_window: d.short_window };
  if (f === 'anomaly') return { ...common, kind: 'anomaly' as const, metric: d.metric, matchers: matchersFor(d), window: d.window ?? 300_000 };
  if (f === 'forecast') return { ...common, kind: 'forecast' as const, metric: d.metric, matchers: matchersFor(d), window: d.window, horizon: d.horizon };
  if (f === 'service') return { ...common, kind: 'threshold' as const, metric: d.metric, matchers: matchersFor(d), window: d.window ?? 60_000 };
  return { ...common, kind: 'threshold' as const, metric: d.metric, matchers: matchersFor(d) };
}

/** What POST /api/v1/alerts/rules/preview takes: the condition only. */
export function previewBody(d: RuleDraft) {
  const { name: _n, repeat_interval: _r, severity: _s, channel_ids: _c, enabled: _e, keep_firing_for: _k, ...rest } = ruleBody(d);
  return rest;
}

export const draftOf = (r: RuleJson): RuleDraft => {
  const { id: _i, created_at: _c, updated_at: _u, ...d } = r;
  return d;
};

const ms = (v: number) => (v % 3600_000 === 0 ? `${v / 3600_000} h` : v % 60_000 === 0 ? `${v / 60_000} m` : `${v / 1000} s`);

/** One line for the rules table. */
export function describeRule(r: RuleJson, sloName?: string): string {
  const m = Object.entries(r.matchers).map(([k, v]) => ` ${k}=${v}`).join('');
  if (r.kind === 'burn_rate') return `burn rate of ${sloName ?? r.slo_id} > ${r.threshold}x over ${ms(r.window ?? 0)} and ${ms(r.short_window ?? 0)}`;
  if (r.kind === 'anomaly') return `|z| of ${r.metric}${m} over ${ms(r.window ?? 300_000)} ${r.comparator} ${r.threshold}`;
  if (r.kind === 'forecast') return `${r.metric}${m} trend ${r.comparator} ${r.threshold} within ${ms(r.horizon ?? 0)} (fitted over ${ms(r.window ?? 0)})`;
  const w = isServiceMetric(r.metric) && r.window ? ` over ${ms(r.window)}` : '';
  return `${r.metric}${m}${w} ${r.comparator} ${r.threshold}${r.for ? ` for ${r.for / 1000}s` : ''}`;
}
