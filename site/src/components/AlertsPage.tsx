// Alerts: firing now and history, the rule editor, channels and silences.
import { useState } from 'react';
import { qs } from '../lib/api.ts';
import { ago, formatTime } from '../lib/format.ts';
import { useApi } from '../lib/hooks.ts';
import type { AlertRow } from '../lib/status.ts';
import { AlertSubject } from './AlertSubject.tsx';
import { AppShell, Async } from './AppShell.tsx';
import { Channels } from './Channels.tsx';
import { Rules } from './Rules.tsx';
import { Silences } from './Silences.tsx';
import { Tabs } from './Tabs.tsx';

function AlertTable({ rows }: { rows: AlertRow[] }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Severity</th>
            <th>Rule</th>
            <th>Host or service</th>
            <th className="hide-phone">Series</th>
            <th>Value</th>
            <th>Started</th>
            <th className="hide-phone">Resolved</th>
            <th className="hide-phone">Notified</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr key={a.id} data-alert={a.rule_name} data-status={a.status}>
              <td>
                <span className={`badge s-${a.severity}`}>{a.severity}</span>
              </td>
              <td>{a.rule_name}</td>
              <td>
                <AlertSubject alert={a} />
              </td>
              <td className="hide-phone small">
                {a.metric}
                {Object.entries(a.labels).map(([k, v]) => ` ${k}=${v}`)}
              </td>
              <td>
                {a.value.toFixed(2)} <span className="muted small">/ {a.threshold}</span>
              </td>
              <td title={formatTime(a.started_at)}>{ago(a.started_at)}</td>
              <td className="hide-phone">{a.resolved_at ? ago(a.resolved_at) : a.status === 'FIRING' ? <strong className="s-critical">firing</strong> : '–'}</td>
              <td className="hide-phone small" title={a.last_error ?? ''}>
                {a.notified}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Firing() {
  const s = useApi<{ firing: AlertRow[] }>('/api/v1/alerts?limit=200');
  return (
    <>
      <div className="row" style={{ justifyContent: 'flex-end' }}>
        <button type="button" onClick={s.reload}>
          Refresh
        </button>
      </div>
      <Async state={s} empty={(d) => (d.firing.length ? null : 'Nothing is firing.')}>
        {(d) => <AlertTable rows={d.firing} />}
      </Async>
    </>
  );
}

function History() {
  const [days, setDays] = useState(1);
  const s = useApi<{ history: AlertRow[] }>(`/api/v1/alerts?${qs({ from: Date.now() - days * 86_400_000, limit: 500 })}`);
  return (
    <>
      <label className="row small" style={{ marginBottom: 10 }}>
        Started within
        <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
          <option value={1}>24 hours</option>
          <option value={7}>7 days</option>
          <option value={30}>30 days</option>
        </select>
      </label>
      <Async state={s} empty={(d) => (d.history.length ? null : 'No alerts in this period.')}>
        {(d) => <AlertTable rows={d.history} />}
      </Async>
    </>
  );
}

export default function AlertsPage() {
  return (
    <AppShell>
      <h1>Alerts</h1>
      <Tabs
        tabs={[
          { id: 'firing', label: 'Firing', render: () => <Firing /> },
          { id: 'history', label: 'History', render: () => <History /> },
          { id: 'rules', label: 'Rules', render: () => <Rules /> },
          { id: 'channels', label: 'Channels', render: () => <Channels /> },
          { id: 'silences', label: 'Silences', render: () => <Silences /> },
        ]}
      />
    </AppShell>
  );
}
