// Alert rules: list (enable/disable, edit, delete) and the editor with a preview of the series the
// metric and matchers select right now, with their current values against the threshold.
import { useEffect, useState, type FormEvent } from 'react';
import { COMPARATORS, HOST_UP_METRIC, SEVERITIES } from '../../../durable-objects/core/rules.ts';
import { METRIC_DEFS } from '../../../protocol/metrics.ts';
import type { ChannelJson, RuleJson } from '../lib/alert-types.ts';
import { api, type ApiError } from '../lib/api.ts';
import { useApi, useAction } from '../lib/hooks.ts';
import { ANOMALY_WINDOWS, describeRule, draftOf, EMPTY_RULE, familyOf, matcherKeysOf, previewBody, ruleBody, SERVICE_METRICS, switchFamily, withMetric, type RuleDraft as Draft, type RuleFamily } from '../lib/rule-draft.ts';
import type { SloJson } from '../lib/slo.ts';
import { Async, useCan } from './AppShell.tsx';

const EMPTY = EMPTY_RULE;
const METRIC_NAMES = [...METRIC_DEFS.filter((m) => m.group !== 'agent').map((m) => m.name), HOST_UP_METRIC];
const FAMILIES: [RuleFamily, string][] = [
  ['host', 'Host metric'],
  ['service', 'Service signal'],
  ['burn_rate', 'SLO burn rate'],
  ['anomaly', 'Anomaly (service signal)'],
  ['forecast', 'Forecast (trend)'],
];

interface PreviewRow {
  host: string | null;
  service: string | null;
  labels: Record<string, string>;
  value: number;
  fires: boolean;
}

/** The series the draft selects now and whether each breaches (POST /api/v1/alerts/rules/preview), asked as the draft settles. */
function Preview({ draft }: { draft: Draft }) {
  const body = JSON.stringify(previewBody(draft));
  const [state, setState] = useState<{ rows?: PreviewRow[]; truncated?: boolean; error?: string; loading: boolean }>({ loading: true });
  useEffect(() => {
    const ac = new AbortController();
    const t = setTimeout(() => {
      setState((s) => ({ ...s, loading: true }));
      api<{ series: PreviewRow[]; truncated: boolean }>('/api/v1/alerts/rules/preview', { method: 'POST', body: JSON.parse(body) as unknown, signal: ac.signal })
        .then((r) => setState({ rows: r.series, truncated: r.truncated, loading: false }))
        .catch((e: Error) => !ac.signal.aborted && setState({ error: e.message, loading: false }));
    }, 300);
    return () => (clearTimeout(t), ac.abort());
  }, [body]);
  const rows = state.rows ?? [];
  const firing = rows.filter((r) => r.fires).length;
  return (
    <div aria-live="polite">
      <h3>Preview: series selected now</h3>
      {draft.metric === HOST_UP_METRIC && <p className="muted small">host.up fires when a host sends nothing for the rule's pending period.</p>}
      {state.error ? (
        <p className="error small">{state.error}</p>
      ) : state.rows === undefined ? (
        <div className="skeleton" style={{ height: 60 }} aria-busy="true" aria-label="Loading" />
      ) : rows.length === 0 ? (
        <p className="muted">No series match now: check the metric and matchers (a service appears once it has sent spans).</p>
      ) : (
        <>
          <p className="small" data-preview-firing={firing}>
            {rows.length} series; {firing ? <strong className="s-critical">{firing} would fire now</strong> : 'none would fire now'}
            {draft.for ? ` (after holding for ${draft.for / 1000}s)` : ''}
          </p>
          <table className="small" data-preview-count={rows.length}>
            <tbody>
              {rows.slice(0, 50).map((r, i) => (
                <tr key={i}>
                  <td>{r.host ?? r.service}</td>
                  <td>{Object.entries(r.labels).map(([k, v]) => `${k}=${v} `)}</td>
                  <td>{r.value.toFixed(r.value !== 0 && Math.abs(r.value) < 1 ? 4 : 2)}</td>
                  <td className={r.fires ? 's-critical' : 's-ok'}>{r.fires ? 'would fire' : 'ok'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {rows.length > 50 && <p className="muted small">…and {rows.length - 50} more</p>}
      {state.truncated && <p className="muted small">Only the first 200 hosts or services were asked.</p>}
    </div>
  );
}

function Editor({ initial, id, channels, slos, onDone }: { initial: Draft; id?: string; channels: ChannelJson[]; slos: SloJson[]; onDone: () => void }) {
  const [d, setD] = useState<Draft>(initial);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((x) => ({ ...x, [k]: v }));
  const family = familyOf(d);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      await api(id ? `/api/v1/alerts/rules/${id}` : '/api/v1/alerts/rules', { method: id ? 'PATCH' : 'POST', body: ruleBody(d) });
      onDone();
    } catch (x) {
      setErr((x as ApiError).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="grid" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(300px, 1fr))' }}>
      <form className="stack" onSubmit={submit} aria-label={id ? 'Edit rule' : 'New rule'}>
        <label>
          Name
          <input value={d.name} onChange={(e) => set('name', e.target.value)} required maxLength={200} />
        </label>
        <label>
          Kind
          <select value={family} onChange={(e) => setD(switchFamily(d, e.target.value as RuleFamily, slos[0]?.id ?? null))} aria-label="Rule kind">
            {FAMILIES.map(([f, label]) => (
              <option key={f} value={f}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {family === 'burn_rate' ? (
          <div className="row">
            <label>
              SLO
              <select value={d.slo_id ?? ''} onChange={(e) => set('slo_id', e.target.value || null)} required>
                <option value="">(choose an SLO)</option>
                {slos.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name} ({s.service})
                  </option>
                ))}
              </select>
            </label>
            <label>
              Long window (minutes)
              <input type="number" min={1} value={(d.window ?? 0) / 60_000} onChange={(e) => set('window', Math.round(Number(e.target.value) * 60_000))} style={{ width: 100 }} />
            </label>
            <label>
              Short window (minutes)
              <input type="number" min={1} value={(d.short_window ?? 0) / 60_000} onChange={(e) => set('short_window', Math.round(Number(e.target.value) * 60_000))} style={{ width: 100 }} />
            </label>
          </div>
        ) : (
          <>
            <div className="row">
              <label>
                {family === 'service' || family === 'anomaly' ? 'Signal' : 'Metric'}
                <select value={d.metric} onChange={(e) => setD(withMetric(d, e.target.value))}>
                  {(family === 'service' || family === 'anomaly' ? SERVICE_METRICS : family === 'forecast' ? [...SERVICE_METRICS, ...METRIC_NAMES] : METRIC_NAMES).map((m) => (
                    <option key={m}>{m}</option>
                  ))}
                </select>
              </label>
              {family === 'service' && (
                <label>
                  Window (seconds)
                  <input type="number" min={1} max={900} value={(d.window ?? 60_000) / 1000} onChange={(e) => set('window', Math.round(Number(e.target.value)) * 1000)} style={{ width: 100 }} />
                </label>
              )}
              {family === 'anomaly' && (
                <label>
                  Window
                  <select value={d.window ?? 300_000} onChange={(e) => set('window', Number(e.target.value))} aria-label="Anomaly window">
                    {ANOMALY_WINDOWS.map(([v, label]) => (
                      <option key={v} value={v}>
                        {label}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              {family === 'forecast' && (
                <>
                  <label>
                    Fitted over (minutes)
                    <input type="number" min={0.5} step="any" value={(d.window ?? 0) / 60_000} onChange={(e) => set('window', Math.round(Number(e.target.value) * 60_000))} style={{ width: 100 }} />
                  </label>
                  <label>
                    Within (minutes)
                    <input type="number" min={0.1} step="any" value={(d.horizon ?? 0) / 60_000} onChange={(e) => set('horizon', Math.round(Number(e.target.value) * 60_000))} style={{ width: 100 }} aria-label="Horizon (minutes)" />
                  </label>
                </>
              )}
            </div>
            <fieldset className="row" style={{ border: 0, padding: 0 }}>
              <legend className="small">{matcherKeysOf(d).includes('route') ? 'Matchers (glob; route "*" = each route on its own; no route = the service as a whole)' : 'Matchers (glob, * wildcard; empty = any)'}</legend>
              {matcherKeysOf(d).map((k) => (
                <label key={k} style={{ width: 120 }}>
                  {k}
                  <input
                    value={d.matchers[k] ?? ''}
                    onChange={(e) => {
                      const m = { ...d.matchers };
                      if (e.target.value) m[k] = e.target.value;
                      else delete m[k];
                      set('matchers', m);
                    }}
                  />
                </label>
              ))}
            </fieldset>
          </>
        )}
        <div className="row">
          <label>
            Condition
            <select value={d.comparator} onChange={(e) => set('comparator', e.target.value)}>
              {COMPARATORS.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
          <label>
            {family === 'burn_rate' ? 'Burn rate (x)' : family === 'anomaly' ? '|z| at least' : 'Threshold'}
            <input type="number" step="any" value={d.threshold} onChange={(e) => set('threshold', Number(e.target.value))} required style={{ width: 100 }} />
          </label>
          <label>
            For (seconds)
            <input type="number" min={0} value={d.for / 1000} onChange={(e) => set('for', Math.round(Number(e.target.value) * 1000))} style={{ width: 100 }} />
          </label>
          <label>
            Severity
            <select value={d.severity} onChange={(e) => set('severity', e.target.value)}>
              {SEVERITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        </div>
        <fieldset style={{ border: 0, padding: 0 }}>
          <legend className="small">Channels (none checked = every channel)</legend>
          {channels.length === 0 && <span className="muted small">No channels yet.</span>}
          {channels.map((c) => (
            <label key={c.id} className="row" style={{ flexDirection: 'row' }}>
              <input type="checkbox" checked={d.channel_ids.includes(c.id)} onChange={(e) => set('channel_ids', e.target.checked ? [...d.channel_ids, c.id] : d.channel_ids.filter((x) => x !== c.id))} />
              {c.name} ({c.type})
            </label>
          ))}
        </fieldset>
        <label className="row" style={{ flexDirection: 'row' }}>
          <input type="checkbox" checked={d.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled
        </label>
        {err && (
          <p className="error" role="alert">
            {err}
          </p>
        )}
        <div className="row">
          <button className="primary" disabled={busy}>
            {id ? 'Save rule' : 'Create rule'}
          </button>
          <button type="button" onClick={onDone}>
            Cancel
          </button>
        </div>
      </form>
      <div className="panel">
        <Preview draft={d} />
      </div>
    </div>
  );
}

export function Rules() {
  const rules = useApi<{ rules: RuleJson[] }>('/api/v1/alerts/rules');
  const channels = useApi<{ channels: ChannelJson[] }>('/api/v1/alerts/channels');
  const slos = useApi<{ slos: SloJson[] }>('/api/v1/slos');
  const sloList = slos.data?.slos ?? [];
  const canWrite = useCan('alerts:write');
  const [editing, setEditing] = useState<{ id?: string; draft: Draft } | null>(null);
  const { act, err } = useAction(rules.reload);
  const done = () => (setEditing(null), rules.reload());
  if (editing) return <Editor initial={editing.draft} {...(editing.id && { id: editing.id })} channels={channels.data?.channels ?? []} slos={sloList} onDone={done} />;
  return (
    <>
      {canWrite && (
        <p>
          <button className="primary" type="button" onClick={() => setEditing({ draft: EMPTY })}>
            New rule
          </button>
        </p>
      )}
      {err && <p className="error" role="alert">{err}</p>}
      <Async state={rules} empty={(d) => (d.rules.length ? null : 'No rules yet.')}>
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Condition</th>
                  <th>Severity</th>
                  <th>Enabled</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.rules.map((r) => (
                  <tr key={r.id} data-rule={r.name}>
                    <td>{r.name}</td>
                    <td className="small">{describeRule(r, sloList.find((x) => x.id === r.slo_id)?.name)}</td>
                    <td>
                      <span className={`badge s-${r.severity}`}>{r.severity}</span>
                    </td>
                    <td>
                      <input type="checkbox" aria-label={`${r.name} enabled`} checked={r.enabled} disabled={!canWrite} onChange={(e) => act(api(`/api/v1/alerts/rules/${r.id}`, { method: 'PATCH', body: { enabled: e.target.checked } }))} />
                    </td>
                    <td className="row">
                      {canWrite && (
                        <>
                          <button type="button" onClick={() => setEditing({ id: r.id, draft: draftOf(r) })}>
                            Edit
                          </button>
                          <button type="button" className="danger" onClick={() => confirm(`Delete rule "${r.name}"?`) && act(api(`/api/v1/alerts/rules/${r.id}`, { method: 'DELETE' }))}>
                            Delete
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
    </>
  );
}
