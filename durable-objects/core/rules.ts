// Alert rules as pure data and functions: label matching, the per-series state machine
// (inactive -> pending -> firing -> resolved), silences, and the repeat-interval decision.
// No storage, no clock: callers pass timestamps, so every path is testable with fake time.
import type { Labels } from '../../protocol/series.ts';

export type Comparator = '>' | '>=' | '<' | '<=' | '==';
export const COMPARATORS: readonly Comparator[] = ['>', '>=', '<', '<=', '=='];
export type Severity = 'INFO' | 'WARNING' | 'CRITICAL';
export const SEVERITIES: readonly Severity[] = ['INFO', 'WARNING', 'CRITICAL'];
/** Matcher keys of host rules (the host id and the catalog's labels). */
export const MATCHER_KEYS = ['host', 'mount', 'interface', 'core', 'device'] as const;
export type MatcherKey = (typeof MATCHER_KEYS)[number];
/** Matcher keys of service rules: without `route` a rule watches the service as a whole. */
export const SERVICE_MATCHER_KEYS = ['service', 'route'] as const;
export type ServiceMatcherKey = (typeof SERVICE_MATCHER_KEYS)[number];
export type Matchers = Partial<Record<MatcherKey | ServiceMatcherKey, string>>;

/**
 * What a rule's condition is computed from. `threshold` compares one value per series (a host
 * metric, or a service signal over `windowMs`); `burn_rate` is an SLO's error-budget burn over a
 * long and a short window (durable-objects/core/burn-rate.ts); `anomaly` is a service signal's
 * |z| over its 1 m, 5 m or 15 m window (core/anomaly.ts); `forecast` is where the linear trend
 * of a host metric or a service signal over `windowMs` will be `horizonMs` from now
 * (core/forecast.ts). Each kind is a name here plus an evaluator; the state machine, outbox,
 * silences and history below are the same for all (docs/alerting.md, "Rule kinds").
 */
export const RULE_KINDS = ['threshold', 'burn_rate', 'anomaly', 'forecast'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** Service golden signals a threshold rule can watch (per service, or per route). */
export const SERVICE_METRICS = ['service.latency.p50', 'service.latency.p95', 'service.latency.p99', 'service.error_rate', 'service.request_rate'] as const;
export type ServiceMetric = (typeof SERVICE_METRICS)[number];
export const isServiceMetric = (m: string): m is ServiceMetric => (SERVICE_METRICS as readonly string[]).includes(m);
/** The pseudo-metric of burn-rate alerts (their value: the lower of the two windows' burn rates). */
export const BURN_RATE_METRIC = 'slo.burn_rate';

/** Pseudo-metric: 0 once a host has sent nothing for the rule's `forMs`, 1 when it sends again. */
export const HOST_UP_METRIC = 'host.up';
/** Spec §3.3: the same alert is sent at most once per 5 minutes. */
export const DEFAULT_REPEAT_MS = 5 * 60_000;
/** Service rules (signals, burn rates): the spec's 1 minute debounce. */
export const DEFAULT_SERVICE_REPEAT_MS = 60_000;
/** The window a service threshold rule's signal is computed over, unless it names one. */
export const DEFAULT_SIGNAL_WINDOW_MS = 60_000;

export interface Rule {
  id: string;
  name: string;
  metric: string;
  matchers: Matchers;
  comparator: Comparator;
  threshold: number;
  /** The condition must hold this long (pending) before the alert fires. */
  forMs: number;
  /** Keep firing this long after the condition clears, so a flapping value does not resolve. */
  keepFiringForMs: number;
  severity: Severity;
  /** Empty = every enabled channel of the organization. */
  channelIds: string[];
  enabled: boolean;
  repeatIntervalMs?: number;
  /** Absent on rules stored before kinds existed: a threshold rule. */
  kind?: RuleKind;
  /** Service threshold rules: the signal's window; burn-rate rules: the long window; anomaly rules: the scored window; forecast rules: the fitted window. */
  windowMs?: number;
  /** Burn-rate rules: the short window, which gates both firing and resolving. */
  shortWindowMs?: number;
  /** Burn-rate rules: the SLO whose budget burns. */
  sloId?: string;
  /** Forecast rules: how far ahead the trend is projected. */
  horizonMs?: number;
}

/** Rules evaluated by service objects (service signals and SLO burn rates); the rest by host objects. */
export const isServiceRule = (r: Pick<Rule, 'kind' | 'metric'>): boolean => r.kind === 'burn_rate' || isServiceMetric(r.metric);

/** Glob with `*` as the only wildcard; everything else is literal. */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const parts = pattern.split('*');
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i === 0) {
      if (!value.startsWith(p)) return false;
      pos = p.length;
    } else if (i === parts.length - 1) {
      return value.length - p.length >= pos && value.endsWith(p);
    } else {
      const at = value.indexOf(p, pos);
      if (at < 0) return false;
      pos = at + p.length;
    }
  }
  return true;
}

/** Does a series (metric already matched) of this host fall under the rule's matchers? */
export function matchesSeries(matchers: Matchers, hostId: string, labels: Labels): boolean {
  for (const key of MATCHER_KEYS) {
    const pattern = matchers[key];
    if (pattern === undefined) continue;
    const value = key === 'host' ? hostId : labels[key];
    if (value === undefined || !globMatch(pattern, value)) return false;
  }
  return true;
}

/** Does a service series (`{service}` or `{service, route}`) fall under a service rule's matchers? */
export function matchesServiceSeries(matchers: Matchers, labels: { service: string; route?: string }): boolean {
  if (matchers.service !== undefined && !globMatch(matchers.service, labels.service)) return false;
  if (matchers.route !== undefined && (labels.route === undefined || !globMatch(matchers.route, labels.route))) return false;
  return true;
}

export function breaches(comparator: Comparator, value: number, threshold: number): boolean {
  switch (comparator) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
  }
}

export type Status = 'inactive' | 'pending' | 'firing';

export interface SeriesState {
  status: Status;
  /** When the condition started to hold (pending or firing). */
  activeAt: number | null;
  firedAt: number | null;
  lastBreachAt: number | null;
  /** Newest sample time evaluated; older samples (spool replays) are ignored. */
  lastTs: number;
  value: number;
  /** The current (or last) firing episode; one alert_history row. */
  episodeId: string | null;
  /** A firing notice for the current episode went out. */
  notified: boolean;
  /** Last firing or repeat notice, kept across episodes for the repeat interval. */
  lastNotifiedAt: number | null;
}

export const initialState = (): SeriesState => ({
  status: 'inactive',
  activeAt: null,
  firedAt: null,
  lastBreachAt: null,
  lastTs: -Infinity,
  value: NaN,
  episodeId: null,
  notified: false,
  lastNotifiedAt: null,
});

export type Event = 'pending' | 'firing' | 'resolved' | null;

export interface StepResult {
  state: SeriesState;
  event: Event;
  /** The state differs in a way worth persisting (status or episode changed). */
  changed: boolean;
}

/** Advances one series by one sample. `newEpisodeId` names a firing episode when one starts. */
export function step(rule: Rule, prev: SeriesState | undefined, value: number, ts: number, newEpisodeId: () => string): StepResult {
  const s: SeriesState = prev ? { ...prev } : initialState();
  if (ts <= s.lastTs) return { state: prev ?? s, event: null, changed: false };
  s.lastTs = ts;
  s.value = value;
  const hit = breaches(rule.comparator, value, rule.threshold);
  if (hit) {
    s.lastBreachAt = ts;
    if (s.status === 'inactive') {
      s.status = 'pending';
      s.activeAt = ts;
      if (rule.forMs > 0) return { state: s, event: 'pending', changed: true };
    }
    if (s.status === 'pending' && ts - s.activeAt! >= rule.forMs) {
      s.status = 'firing';
      s.firedAt = ts;
      s.episodeId = newEpisodeId();
      s.notified = false;
      return { state: s, event: 'firing', changed: true };
    }
    return { state: s, event: null, changed: false };
  }
  if (s.status === 'pending') {
    s.status = 'inactive';
    s.activeAt = null;
    return { state: s, event: null, changed: true };
  }
  if (s.status === 'firing' && ts - (s.lastBreachAt ?? ts) >= rule.keepFiringForMs) {
    s.status = 'inactive';
    s.activeAt = null;
    return { state: s, event: 'resolved', changed: true };
  }
  return { state: s, event: null, changed: false };
}

/**
 * The series was looked for and had no value (a quiet service has no latency): as in Prometheus,
 * an absent series does not breach. A pending series ends; a firing one resolves once
 * `keep_firing_for` has passed since its last breach, keeping its last value.
 */
export function vanish(rule: Rule, prev: SeriesState | undefined, ts: number): StepResult {
  if (!prev || ts <= prev.lastTs) return { state: prev ?? initialState(), event: null, changed: false };
  if (prev.status === 'pending') return { state: { ...prev, lastTs: ts, status: 'inactive', activeAt: null }, event: null, changed: true };
  if (prev.status === 'firing' && ts - (prev.lastBreachAt ?? ts) >= rule.keepFiringForMs)
    return { state: { ...prev, lastTs: ts, status: 'inactive', activeAt: null }, event: 'resolved', changed: true };
  return { state: prev, event: null, changed: false };
}

export type Notice = 'firing' | 'repeat' | 'resolved' | null;

/**
 * Whether to send a notice after a step. A firing notice goes out unless one went out for this
 * series within the repeat interval (a flapping series is not re-announced) or it is silenced;
 * while firing, a notice repeats once per interval, and a muted or suppressed episode is
 * announced when that ends. A resolve notice follows only an announced episode.
 */
export function decideNotice(state: SeriesState, event: Event, ts: number, silenced: boolean, repeatMs = DEFAULT_REPEAT_MS): Notice {
  if (event === 'resolved') return state.notified ? 'resolved' : null;
  if (state.status !== 'firing' || silenced) return null;
  const due = state.lastNotifiedAt === null || ts - state.lastNotifiedAt >= repeatMs;
  if (!due) return null;
  return state.notified ? 'repeat' : 'firing';
}

/** Records a sent firing/repeat notice on the state. */
export function markNotified(state: SeriesState, ts: number): SeriesState {
  return { ...state, notified: true, lastNotifiedAt: ts };
}

export interface Silence {
  id: string;
  /** Keys: host, rule (rule id), metric, severity, or any series label; values are globs. */
  matchers: Record<string, string>;
  startsAt: number;
  endsAt: number;
}

/**
 * Labels an alert is matched on by silences. `subject` is the host id (a string, host rules) or
 * the subject's own labels (`{service}` for service rules).
 */
export function alertLabels(rule: Rule, subject: string | Labels, labels: Labels): Record<string, string> {
  const own = typeof subject === 'string' ? { host: subject } : subject;
  return { ...labels, ...own, rule: rule.id, metric: rule.metric, severity: rule.severity };
}

export function isSilenced(silences: readonly Silence[], labels: Record<string, string>, now: number): boolean {
  return silences.some(
    (s) =>
      now >= s.startsAt &&
      now < s.endsAt &&
      Object.keys(s.matchers).length > 0 &&
      Object.entries(s.matchers).every(([k, p]) => labels[k] !== undefined && globMatch(p, labels[k]!)),
  );
}

const MIN = 60_000;
const rule = (name: string, metric: string, threshold: number, forMs: number, severity: Severity, matchers: Matchers = {}) => ({
  name,
  metric,
  matchers,
  comparator: '>' as Comparator,
  threshold,
  forMs,
  keepFiringForMs: 0,
  severity,
  channelIds: [] as string[],
  enabled: true,
});

/** Spec §3.3 defaults, plus host down (our addition: `for` is the silence that counts as down). */
export const DEFAULT_RULES: Omit<Rule, 'id'>[] = [
  rule('CPU usage high', 'cpu.usage.total', 80, 5 * MIN, 'WARNING'),
  rule('CPU usage critical', 'cpu.usage.total', 95, 2 * MIN, 'CRITICAL'),
  rule('Memory usage high', 'memory.usage.percent', 85, 0, 'WARNING'),
  rule('Memory usage critical', 'memory.usage.percent', 95, 0, 'CRITICAL'),
  rule('Disk usage high', 'disk.usage.percent', 80, 0, 'WARNING', { mount: '*' }),
  rule('Disk usage critical', 'disk.usage.percent', 90, 0, 'CRITICAL', { mount: '*' }),
  rule('CPU I/O wait high', 'cpu.usage.iowait', 50, 5 * MIN, 'WARNING'),
  { ...rule('Host down', HOST_UP_METRIC, 0, MIN, 'CRITICAL'), comparator: '==' },
];
