// The organization's live alert stream: GET /api/v1/alerts/live (Upgrade: websocket), authorized
// like GET /api/v1/alerts. One object per organization (durable-objects/alert-feed.ts) holds the
// sockets; host and service objects publish each alert row to it as the row reaches Postgres, so
// the feed never shows an alert GET /api/v1/alerts would not list (docs/alerting.md).

export const ALERT_FEED_PATH = '/api/v1/alerts/live';
/** How many of the newest alerts the hello carries. */
export const ALERT_FEED_HELLO = 10;

/** One alert as GET /api/v1/alerts answers it (its `Alert` schema). */
export interface FeedAlert {
  id: string;
  rule_id: string;
  rule_name: string;
  severity: string;
  host: string | null;
  service: string | null;
  metric: string;
  labels: Record<string, string>;
  status: 'FIRING' | 'RESOLVED';
  value: number;
  threshold: number;
  started_at: number;
  resolved_at: number | null;
  notified: string;
  last_error: string | null;
}

export type AlertFeedMessage =
  /** First: the newest alerts by start time (at most ALERT_FEED_HELLO), newest first. */
  | { type: 'hello'; alerts: FeedAlert[] }
  /**
   * An alert that started, changed (notified, value) or resolved: replace by `id`. A row may come
   * again with the same content (a history re-sync); it is the row's whole current state.
   */
  | { type: 'alert'; alert: FeedAlert }
  | { type: 'pong' }
  | { type: 'error'; message: string };

export const ALERT_FEED_CLOSE = { tooManySubscribers: { code: 1013, reason: 'too many subscribers for this organization' } } as const;

/**
 * The feed's list after one alert arrives: replaced by id, or added; newest start first, at most
 * `limit` (an update of an alert older than the newest `limit` is not shown, as in the hello).
 */
export function mergeFeed(list: readonly FeedAlert[], incoming: readonly FeedAlert[], limit = ALERT_FEED_HELLO): FeedAlert[] {
  const byId = new Map(list.map((a) => [a.id, a]));
  for (const a of incoming) byId.set(a.id, a);
  return [...byId.values()].sort((a, b) => b.started_at - a.started_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, limit);
}
