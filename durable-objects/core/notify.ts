// Delivery policy as pure functions: retry backoff, a per-channel token bucket, and grouping of
// the alerts one host raises at once into one notification per channel.

/** Delay before attempt n+1 after n failed attempts; after the last, the notification fails. */
export const DEFAULT_RETRY_MS: readonly number[] = [5_000, 30_000, 120_000, 600_000, 1_800_000];

export function nextAttemptAt(failedAttempts: number, now: number, schedule: readonly number[] = DEFAULT_RETRY_MS): number | null {
  const delay = schedule[failedAttempts - 1];
  return delay === undefined ? null : now + delay;
}

/** Parses "100,200,400" (env ALERT_RETRY_MS) into a schedule; falls back to the default. */
export function parseSchedule(text: string | undefined): readonly number[] {
  if (!text) return DEFAULT_RETRY_MS;
  const parts = text.split(',').map((p) => Number(p.trim()));
  return parts.length && parts.every((n) => Number.isFinite(n) && n >= 0) ? parts : DEFAULT_RETRY_MS;
}

/**
 * Token bucket: `capacity` sends at once, then one per `refillMs`. take() answers when the next
 * send may go: `now` if a token is free (and takes it), otherwise a later time.
 */
export class TokenBucket {
  private tokens: number;
  private updated: number;

  constructor(
    private readonly capacity: number,
    private readonly refillMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updated = now;
  }

  private refill(now: number) {
    if (now > this.updated) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.updated) / this.refillMs);
      this.updated = now;
    }
  }

  take(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return now;
    }
    return now + Math.ceil((1 - this.tokens) * this.refillMs);
  }
}

export interface AlertNotice {
  episodeId: string;
  kind: 'firing' | 'repeat' | 'resolved';
  ruleId: string;
  ruleName: string;
  severity: string;
  metric: string;
  labels: Record<string, string>;
  comparator: string;
  threshold: number;
  value: number;
  startedAt: number;
  resolvedAt: number | null;
  /** Channel ids this notice goes to. */
  channelIds: string[];
}

/** One notification per channel, holding every notice for that channel (order kept). */
export function groupByChannel(notices: readonly AlertNotice[]): Map<string, AlertNotice[]> {
  const out = new Map<string, AlertNotice[]>();
  for (const n of notices) {
    for (const ch of n.channelIds) {
      let list = out.get(ch);
      if (!list) out.set(ch, (list = []));
      list.push(n);
    }
  }
  return out;
}

/** One line per alert, for Slack and email bodies. */
export function describe(n: AlertNotice, host: string): string {
  const labels = Object.entries(n.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const series = labels ? `${n.metric}{${labels}}` : n.metric;
  const state = n.kind === 'resolved' ? 'RESOLVED' : n.kind === 'repeat' ? 'STILL FIRING' : 'FIRING';
  return `[${state}] ${n.severity} ${n.ruleName} on ${host}: ${series} = ${round(n.value)} (${n.comparator} ${n.threshold})`;
}

const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : v);
