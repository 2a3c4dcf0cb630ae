// The home page's live alert stream: the organization's 10 newest alerts, host and service
// together, pushed over GET /api/v1/alerts/live as they fire, change and resolve (no polling).
import { useEffect, useRef, useState } from 'react';
import { ALERT_FEED_PATH, mergeFeed, type AlertFeedMessage, type FeedAlert } from '../../../protocol/alert-feed.ts';
import { ago, formatTime } from '../lib/format.ts';
import { LiveConnection, type LiveStatus } from '../lib/live.ts';
import { AlertSubject } from './AlertSubject.tsx';

/** `onAlert`: an alert started, changed or resolved (the page may refresh what depends on it). */
export function AlertStream({ onAlert }: { onAlert?: () => void }) {
  const [alerts, setAlerts] = useState<FeedAlert[] | null>(null);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const onAlertRef = useRef(onAlert);
  onAlertRef.current = onAlert;
  useEffect(() => {
    const conn = new LiveConnection<AlertFeedMessage>(
      ALERT_FEED_PATH,
      (m) => {
        // A hello (also after a reconnect) is the whole list again; an alert replaces by id.
        if (m.type === 'hello') setAlerts(mergeFeed([], m.alerts));
        else if (m.type === 'alert') {
          setAlerts((cur) => mergeFeed(cur ?? [], [m.alert]));
          onAlertRef.current?.();
        }
      },
      setStatus,
    );
    return () => conn.close();
  }, []);
  return (
    <section className="group panel" aria-labelledby="stream-h" data-stream={status}>
      <h2 id="stream-h">
        Latest alerts <span className={`small ${status === 'open' ? 's-ok' : 'muted'}`}>{status === 'open' ? '● live' : status}</span>
      </h2>
      {alerts === null ? (
        <div className="skeleton" style={{ height: 60 }} aria-busy="true" aria-label="Loading" />
      ) : alerts.length === 0 ? (
        <p className="muted">No alerts yet. They appear here the moment one fires.</p>
      ) : (
        <ul aria-live="polite">
          {alerts.map((a) => (
            <li key={a.id} data-alert={a.rule_name} data-status={a.status}>
              <span className={`badge s-${a.severity}`}>{a.severity}</span> <strong>{a.rule_name}</strong> on <AlertSubject alert={a} /> — {a.metric}
              {Object.entries(a.labels).map(([k, v]) => ` ${k}=${v}`)} = {a.value.toFixed(2)} (threshold {a.threshold}),{' '}
              <span title={formatTime(a.started_at)}>{a.status === 'FIRING' ? <><strong className="s-critical">firing</strong> since {ago(a.started_at)}</> : `resolved ${ago(a.resolved_at ?? a.started_at)}`}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
