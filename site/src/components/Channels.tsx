// Notification channels: Slack, email, webhook; a test button sends a test notification now.
// Secrets come back masked from the API and are never shown again.
import { useState, type FormEvent } from 'react';
import type { ChannelJson } from '../lib/alert-types.ts';
import { api, type ApiError } from '../lib/api.ts';
import { useApi, useAction } from '../lib/hooks.ts';
import { Async, useCan } from './AppShell.tsx';

function NewChannel({ onDone }: { onDone: () => void }) {
  const [type, setType] = useState<ChannelJson['type']>('slack');
  const [err, setErr] = useState<string | null>(null);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const s = (k: string) => String(f.get(k) ?? '').trim();
    const config =
      type === 'slack' ? { webhookUrl: s('webhookUrl') } : type === 'email' ? { to: s('to').split(/[\s,]+/).filter(Boolean) } : { url: s('url'), secret: s('secret') };
    try {
      await api('/api/v1/alerts/channels', { method: 'POST', body: { name: s('name'), type, config } });
      onDone();
    } catch (x) {
      setErr((x as ApiError).message);
    }
  };
  return (
    <form className="stack panel" onSubmit={submit} aria-label="New channel" style={{ marginBottom: 14 }}>
      <label>
        Name
        <input name="name" required maxLength={200} />
      </label>
      <label>
        Type
        <select value={type} onChange={(e) => setType(e.target.value as ChannelJson['type'])}>
          <option value="slack">Slack (incoming webhook)</option>
          <option value="email">Email</option>
          <option value="webhook">Webhook (signed)</option>
        </select>
      </label>
      {type === 'slack' && (
        <label>
          Slack webhook URL
          <input name="webhookUrl" type="url" required placeholder="https://hooks.slack.com/services/…" />
        </label>
      )}
      {type === 'email' && (
        <label>
          Recipients (comma separated)
          <input name="to" required />
        </label>
      )}
      {type === 'webhook' && (
        <>
          <label>
            URL
            <input name="url" type="url" required />
          </label>
          <label>
            Signing secret (at least 16 characters)
            <input name="secret" type="password" minLength={16} required autoComplete="off" />
          </label>
        </>
      )}
      {err && <p className="error" role="alert">{err}</p>}
      <div className="row">
        <button className="primary">Add channel</button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function Channels() {
  const s = useApi<{ channels: ChannelJson[] }>('/api/v1/alerts/channels');
  const canWrite = useCan('channels:write');
  const [adding, setAdding] = useState(false);
  const [msg, setMsg] = useState<Record<string, string>>({});
  const test = async (c: ChannelJson) => {
    setMsg((m) => ({ ...m, [c.id]: 'Sending…' }));
    try {
      await api(`/api/v1/alerts/channels/${c.id}/test`, { method: 'POST' });
      setMsg((m) => ({ ...m, [c.id]: 'Test sent ✓' }));
    } catch (e) {
      setMsg((m) => ({ ...m, [c.id]: `Failed: ${(e as Error).message}` }));
    }
  };
  const { act, err } = useAction(s.reload);
  return (
    <>
      {canWrite && !adding && (
        <p>
          <button className="primary" type="button" onClick={() => setAdding(true)}>
            New channel
          </button>
        </p>
      )}
      {adding && <NewChannel onDone={() => (setAdding(false), s.reload())} />}
      {err && <p className="error" role="alert">{err}</p>}
      <Async state={s} empty={(d) => (d.channels.length ? null : 'No channels: alerts are recorded but not sent anywhere.')}>
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Type</th>
                  <th className="hide-phone">Target</th>
                  <th>Enabled</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.channels.map((c) => (
                  <tr key={c.id}>
                    <td>{c.name}</td>
                    <td>{c.type}</td>
                    <td className="hide-phone small">{String(c.config.webhookUrl ?? c.config.url ?? (c.config.to as string[] | undefined)?.join(', ') ?? '')}</td>
                    <td>
                      <input type="checkbox" aria-label={`${c.name} enabled`} checked={c.enabled} disabled={!canWrite} onChange={(e) => act(api(`/api/v1/alerts/channels/${c.id}`, { method: 'PATCH', body: { enabled: e.target.checked } }))} />
                    </td>
                    <td className="row">
                      {canWrite && (
                        <>
                          <button type="button" onClick={() => void test(c)}>
                            Test
                          </button>
                          <button type="button" className="danger" onClick={() => confirm(`Delete channel "${c.name}"?`) && act(api(`/api/v1/alerts/channels/${c.id}`, { method: 'DELETE' }))}>
                            Delete
                          </button>
                        </>
                      )}
                      {msg[c.id] && (
                        <span className="small" role="status">
                          {msg[c.id]}
                        </span>
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
