// Alert rules: list (enable/disable, edit, delete) and the editor with a preview of the series the
// metric and matchers select right now, with their current values against the threshold.
import { useMemo, useState, type FormEvent } from 'react';
import { breaches, COMPARATORS, HOST_UP_METRIC, MATCHER_KEYS, matchesSeries, SEVERITIES, type Comparator, type Matchers } from '../../../durable-objects/core/rules.ts';
import { METRIC_DEFS } from '../../../protocol/metrics.ts';
import type { HostCurrent } from '../../../protocol/query.ts';
import type { ChannelJson, RuleJson } from '../lib/alert-types.ts';
import { api, type ApiError } from '../lib/api.ts';
import { useApi, useAction } from '../lib/hooks.ts';
import { Async, useCan } from './AppShell.tsx';

type Draft = Omit<RuleJson, 'id' | 'created_at' | 'updated_at'>;
const EMPTY: Draft = { name: '', metric: 'cpu.usage.total', matchers: {}, comparator: '>', threshold: 80, for: 0, keep_firing_for: 0, repeat_interval: 300_000, severity: 'WARNING', channel_ids: [], enabled: true };
const METRIC_NAMES = [...METRIC_DEFS.filter((m) => m.group !== 'agent').map((m) => m.name), HOST_UP_METRIC];

function Preview({ draft }: { draft: Draft }) {
  const cur = useApi<{ hosts: HostCurrent[] }>('/api/v1/metrics/current');
  const rows = useMemo(() => {
    if (!cur.data || draft.metric === HOST_UP_METRIC) return [];
    return cur.data.hosts.flatMap((h) =>
      h.values.filter((v) => v.metric === draft.metric && matchesSeries(draft.matchers as Matchers, h.host, v.labels)).map((v) => ({ host: h.host, labels: v.labels, value: v.value, hit: breaches(draft.comparator as Comparator, v.value, draft.threshold) })),
    );
  }, [cur.data, draft.metric, draft.matchers, draft.comparator, draft.threshold]);
  if (draft.metric === HOST_UP_METRIC) return <p className="muted small">host.up selects every host the matchers name; it fires when a host sends nothing for the rule's pending period.</p>;
  return (
    <div aria-live="polite">
      <h3>Preview: series selected now</h3>
      <Async state={cur} empty={() => (rows.length ? null : 'No series match: check the metric and matchers.')}>
        {() => (
          <table className="small" data-preview-count={rows.length}>
            <tbody>
              {rows.slice(0, 50).map((r, i) => (
                <tr key={i}>
                  <td>{r.host}</td>
                  <td>{Object.entries(r.labels).map(([k, v]) => `${k}=${v} `)}</td>
                  <td>{r.value.toFixed(2)}</td>
                  <td className={r.hit ? 's-critical' : 's-ok'}>{r.hit ? 'would fire' : 'ok'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
      {rows.length > 50 && <p className="muted small">…and {rows.length - 50} more</p>}
    </div>
  );
}

function Editor({ initial, id, channels, onDone }: { initial: Draft; id?: string; channels: ChannelJson[]; onDone: () => void }) {
  const [d, setD] = useState<Draft>(initial);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((x) => ({ ...x, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      await api(id ? `/api/v1/alerts/rules/${id}` : '/api/v1/alerts/rules', { method: id ? 'PATCH' : 'POST', body: d });
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
          Metric
          <select value={d.metric} onChange={(e) => set('metric', e.target.value)}>
            {METRIC_NAMES.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <fieldset className="row" style={{ border: 0, padding: 0 }}>
          <legend className="small">Matchers (glob, * wildcard; empty = any)</legend>
          {MATCHER_KEYS.map((k) => (
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
            Threshold
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
  const canWrite = useCan('alerts:write');
  const [editing, setEditing] = useState<{ id?: string; draft: Draft } | null>(null);
  const { act, err } = useAction(rules.reload);
  const done = () => (setEditing(null), rules.reload());
  if (editing) return <Editor initial={editing.draft} {...(editing.id && { id: editing.id })} channels={channels.data?.channels ?? []} onDone={done} />;
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
                    <td className="small">
                      {r.metric}
                      {Object.entries(r.matchers).map(([k, v]) => ` ${k}=${v}`)} {r.comparator} {r.threshold}
                      {r.for ? ` for ${r.for / 1000}s` : ''}
                    </td>
                    <td>
                      <span className={`badge s-${r.severity}`}>{r.severity}</span>
                    </td>
                    <td>
                      <input type="checkbox" aria-label={`${r.name} enabled`} checked={r.enabled} disabled={!canWrite} onChange={(e) => act(api(`/api/v1/alerts/rules/${r.id}`, { method: 'PATCH', body: { enabled: e.target.checked } }))} />
                    </td>
                    <td className="row">
                      {canWrite && (
                        <>
                          <button type="button" onClick={() => setEditing({ id: r.id, draft: { name: r.name, metric: r.metric, matchers: r.matchers, comparator: r.comparator, threshold: r.threshold, for: r.for, keep_firing_for: r.keep_firing_for, repeat_interval: r.repeat_interval, severity: r.severity, channel_ids: r.channel_ids, enabled: r.enabled } })}>
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
