// One object per organization holding the sockets of its live alert stream (GET
// /api/v1/alerts/live, protocol/alert-feed.ts). Host and service objects call publish() with the
// alert rows they have just written to Postgres (AlertEngine.sync), so the stream and GET
// /api/v1/alerts agree; the object keeps no alert of its own but the last minute's, which closes
// the gap between the hello's query and the socket's accept.
import { desc, eq } from 'drizzle-orm';
import { ALERT_FEED_CLOSE, ALERT_FEED_HELLO, mergeFeed, type AlertFeedMessage, type FeedAlert } from '../protocol/alert-feed.ts';
import type { HistoryRow } from '../worker/db/alerts.ts';
import { alertHistory } from '../worker/db/alerts-schema.ts';
import { withDb } from '../worker/db/client.ts';
import { BaseObject } from './base.ts';
import { DEFAULT_LIVE_OPTIONS, LiveSubscribers } from './live-subscribers.ts';

const RECENT_MS = 60_000;

export const toFeedAlert = (r: HistoryRow): FeedAlert => ({
  id: r.id,
  rule_id: r.ruleId,
  rule_name: r.ruleName,
  severity: r.severity,
  host: r.hostId,
  service: r.service,
  metric: r.metric,
  labels: r.labels,
  status: r.status,
  value: r.value,
  threshold: r.threshold,
  started_at: r.startedAt,
  resolved_at: r.resolvedAt,
  notified: r.notified,
  last_error: r.lastError,
});

export class AlertFeedObject extends BaseObject<Env> {
  /** Rows published in the last minute (in memory only: a hello merges those newer than its query). */
  private recent: { at: number; alert: FeedAlert }[] = [];

  protected onStart() {
    this.subscribers = new LiveSubscribers(this.ctx, () => DEFAULT_LIVE_OPTIONS, ALERT_FEED_CLOSE.tooManySubscribers);
  }

  /** Alert rows just stored in Postgres, from a host or service object of this organization. */
  publish(rows: HistoryRow[]): void {
    const now = Date.now();
    const alerts = rows.map(toFeedAlert);
    this.recent = this.recent.filter((r) => now - r.at < RECENT_MS).concat(alerts.map((alert) => ({ at: now, alert })));
    this.subscribers.broadcast(alerts.map((alert): AlertFeedMessage => ({ type: 'alert', alert })));
  }

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const tenantId = url.searchParams.get('tenant');
    if (url.pathname !== '/live' || request.headers.get('upgrade')?.toLowerCase() !== 'websocket' || !tenantId) return new Response('not found', { status: 404 });
    const asked = Date.now();
    let rows: (typeof alertHistory.$inferSelect)[];
    try {
      rows = await withDb(this.env, (db) => db.select().from(alertHistory).where(eq(alertHistory.tenantId, tenantId)).orderBy(desc(alertHistory.startedAt)).limit(ALERT_FEED_HELLO));
    } catch (err) {
      // No hello without the newest alerts: the route answers 503 and the client retries.
      console.error(JSON.stringify({ msg: 'alert feed hello query failed', error: String(err) }));
      return new Response('alert history unavailable', { status: 503 });
    }
    const stored = rows.map((r) => toFeedAlert({ ...r, startedAt: r.startedAt.getTime(), resolvedAt: r.resolvedAt?.getTime() ?? null }));
    // Published while the query ran: the query may or may not have seen them; the newer copy wins.
    const during = this.recent.filter((r) => r.at >= asked).map((r) => r.alert);
    return this.subscribers.accept<AlertFeedMessage>({ type: 'hello', alerts: mergeFeed(stored, during) });
  }
}

/** Called by the alert engine after a history sync; never throws (the feed must not hold alerts back). */
export async function publishAlerts(env: Env, tenantId: string, rows: HistoryRow[]): Promise<void> {
  if (!rows.length) return;
  try {
    await env.ALERT_FEED.getByName(tenantId).publish(rows);
  } catch (err) {
    console.warn(JSON.stringify({ msg: 'alert feed publish failed', error: String(err) }));
  }
}
