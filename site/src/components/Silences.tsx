// Silences (maintenance windows): matching alerts still fire and are recorded, but notify nobody.
import { useState, type FormEvent } from 'react';
import type { SilenceJson } from '../lib/alert-types.ts';
import { api, type ApiError } from '../lib/api.ts';
import { formatTime } from '../lib/format.ts';
import { useApi, useAction } from '../lib/hooks.ts';
import { Async, useCan } from './AppShell.tsx';

function NewSilence({ onDone }: { onDone: () => void }) {
  const [err, setErr] = useState<string | null>(null);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const matchers: Record<string, string> = {};
    for (const line of String(f.get('matchers') ?? '').split(/[\n,]+/)) {
      const [k, ...v] = line.split('=');
      if (k?.trim() && v.length) matchers[k.trim()] = v.join('=').trim();
    }
    const hours = Number(f.get('hours'));
    try {
      await api('/api/v1/alerts/silences', { method: 'POST', body: { matchers, ends_at: Date.now() + hours * 3600_000, comment: String(f.get('comment') ?? '') } });
      onDone();
    } catch (x) {
      setErr((x as ApiError).message);
    }
  };
  return (
    <form className="stack panel" onSubmit={submit} aria-label="New silence" style={{ marginBottom: 14 }}>
      <label>
        Matchers, one per line: host=web-*, rule=&lt;rule id&gt;, metric=…, severity=…, mount=/…
        <textarea name="matchers" rows={3} required placeholder="host=web-1" />
      </label>
      <label>
        Duration (hours from now)
        <input name="hours" type="number" min={0.05} step="any" defaultValue={2} required />
      </label>
      <label>
        Comment
        <input name="comment" maxLength={1000} />
      </label>
      {err && <p className="error" role="alert">{err}</p>}
      <div className="row">
        <button className="primary">Create silence</button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function Silences() {
  const s = useApi<{ silences: SilenceJson[] }>('/api/v1/alerts/silences');
  const canWrite = useCan('silences:write');
  const [adding, setAdding] = useState(false);
  const { act, err } = useAction(s.reload);
  return (
    <>
      {canWrite && !adding && (
        <p>
          <button className="primary" type="button" onClick={() => setAdding(true)}>
            New silence
          </button>
        </p>
      )}
      {adding && <NewSilence onDone={() => (setAdding(false), s.reload())} />}
      {err && <p className="error" role="alert">{err}</p>}
      <Async state={s} empty={(d) => (d.silences.length ? null : 'No silences.')}>
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Matchers</th>
                  <th>From</th>
                  <th>Until</th>
                  <th className="hide-phone">Comment</th>
                  <th>State</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.silences.map((x) => (
                  <tr key={x.id}>
                    <td className="small">{Object.entries(x.matchers).map(([k, v]) => `${k}=${v} `)}</td>
                    <td className="small">{formatTime(x.starts_at)}</td>
                    <td className="small">{formatTime(x.ends_at)}</td>
                    <td className="hide-phone">{x.comment}</td>
                    <td>{x.active ? <strong>active</strong> : x.ends_at < Date.now() ? 'ended' : 'scheduled'}</td>
                    <td className="row">
                      {canWrite && x.active && (
                        <button type="button" onClick={() => act(api(`/api/v1/alerts/silences/${x.id}`, { method: 'PATCH', body: { ends_at: Math.max(Date.now(), x.starts_at + 1) } }))}>
                          End now
                        </button>
                      )}
                      {canWrite && (
                        <button type="button" className="danger" onClick={() => confirm('Delete this silence?') && act(api(`/api/v1/alerts/silences/${x.id}`, { method: 'DELETE' }))}>
                          Delete
                        </button>
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
