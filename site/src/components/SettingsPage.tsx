// Settings: API keys (a new key is shown once, with the agent's install one-liner), members and
// roles, invitations, and the audit log. Controls the role cannot use are hidden; the API checks.
import { useState, type FormEvent } from 'react';
import type { ApiKeySummary, AuditEntry, Invitation, Member } from '../lib/account-types.ts';
import { api, type ApiError } from '../lib/api.ts';
import { ago, formatTime } from '../lib/format.ts';
import { useApi } from '../lib/hooks.ts';
import { AppShell, Async, useCan, useMe } from './AppShell.tsx';
import { Tabs } from './Tabs.tsx';

const ROLES = ['owner', 'admin', 'editor', 'viewer'] as const;

export function installCommand(origin: string, key: string) {
  return `curl -fsSL ${origin}/install.sh | sh -s -- --key ${key}`;
}

function Keys() {
  const s = useApi<{ keys: ApiKeySummary[] }>('/api/v1/keys');
  const canWrite = useCan('keys:write');
  const [created, setCreated] = useState<(ApiKeySummary & { key: string }) | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setErr(null);
    try {
      setCreated(await api('/api/v1/keys', { method: 'POST', body: { name: String(f.get('name')), scope: String(f.get('scope')) } }));
      setCopied(false);
      e.currentTarget?.reset();
      s.reload();
    } catch (x) {
      setErr((x as ApiError).message);
    }
  };
  const revoke = (k: ApiKeySummary) => confirm(`Revoke key "${k.name}"? Agents using it stop within seconds.`) && api(`/api/v1/keys/${k.id}`, { method: 'DELETE' }).then(s.reload, (x: Error) => setErr(x.message));
  const cmd = created ? installCommand(location.origin, created.key) : '';
  return (
    <>
      {created && (
        <div className="notice" role="status" style={{ marginBottom: 14 }}>
          <p>
            <strong>Key "{created.name}" created.</strong> Copy it now: it is shown only this once.
          </p>
          <pre data-created-key>{created.key}</pre>
          {created.scope !== 'read' && (
            <>
              <p>Install the agent on a Linux host with it:</p>
              <pre data-install-command>{cmd}</pre>
              <button type="button" onClick={() => void navigator.clipboard?.writeText(cmd).then(() => setCopied(true))}>
                {copied ? 'Copied ✓' : 'Copy command'}
              </button>{' '}
            </>
          )}
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      {canWrite && (
        <form className="row panel" onSubmit={create} aria-label="New API key" style={{ marginBottom: 14 }}>
          <label>
            Name
            <input name="name" required maxLength={100} placeholder="web servers" />
          </label>
          <label>
            Scope
            <select name="scope" defaultValue="ingest">
              <option value="ingest">ingest (agents send data)</option>
              <option value="read">read (query the API)</option>
              <option value="admin">admin (automation)</option>
            </select>
          </label>
          <button className="primary" style={{ alignSelf: 'flex-end' }}>
            Create key
          </button>
        </form>
      )}
      {err && <p className="error" role="alert">{err}</p>}
      <Async state={s} empty={(d) => (d.keys.length ? null : 'No API keys yet.')}>
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Scope</th>
                  <th>Key</th>
                  <th className="hide-phone">Created</th>
                  <th className="hide-phone">Last used</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.keys.map((k) => (
                  <tr key={k.id} data-key={k.name}>
                    <td>{k.name}</td>
                    <td>{k.scope}</td>
                    <td>
                      <code>{k.prefix}…</code>
                    </td>
                    <td className="hide-phone small">{formatTime(k.createdAt)}</td>
                    <td className="hide-phone small">{k.lastUsedAt ? ago(k.lastUsedAt) : 'never'}</td>
                    <td>{k.revokedAt ? <span className="muted">revoked</span> : canWrite && <button type="button" className="danger" onClick={() => void revoke(k)}>Revoke</button>}</td>
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

function Members() {
  const me = useMe();
  const members = useApi<{ members: Member[] }>('/api/v1/members');
  const canWrite = useCan('members:write');
  const canOwners = useCan('owners:write');
  const invites = useApi<{ invitations: Invitation[] }>(canWrite ? '/api/v1/invitations' : null);
  const [err, setErr] = useState<string | null>(null);
  const act = (p: Promise<unknown>, then: () => void) => p.then(then, (x: Error) => setErr(x.message));
  const invite = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const form = e.currentTarget;
    act(api('/api/v1/invitations', { method: 'POST', body: { email: String(f.get('email')), role: String(f.get('role')) } }), () => (form.reset(), invites.reload()));
  };
  const roles = ROLES.filter((r) => canOwners || r !== 'owner');
  return (
    <>
      {err && <p className="error" role="alert">{err}</p>}
      <Async state={members} empty={(d) => (d.members.length ? null : 'No members.')}>
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Member</th>
                  <th>Role</th>
                  <th className="hide-phone">Joined</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.members.map((m) => (
                  <tr key={m.userId}>
                    <td>
                      {m.name ?? m.email} {m.userId === me.user.id && <span className="muted small">(you)</span>}
                      <div className="muted small">{m.email}</div>
                    </td>
                    <td>
                      {canWrite && (canOwners || m.role !== 'owner') ? (
                        <select aria-label={`Role of ${m.email}`} value={m.role} onChange={(e) => act(api(`/api/v1/members/${m.userId}`, { method: 'PATCH', body: { role: e.target.value } }), members.reload)}>
                          {(m.role === 'owner' ? ROLES : roles).map((r) => (
                            <option key={r}>{r}</option>
                          ))}
                        </select>
                      ) : (
                        m.role
                      )}
                    </td>
                    <td className="hide-phone small">{formatTime(m.joinedAt)}</td>
                    <td>
                      {canWrite && m.userId !== me.user.id && (canOwners || m.role !== 'owner') && (
                        <button type="button" className="danger" onClick={() => confirm(`Remove ${m.email}?`) && act(api(`/api/v1/members/${m.userId}`, { method: 'DELETE' }), members.reload)}>
                          Remove
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
      {canWrite && (
        <section className="group" style={{ marginTop: 20 }}>
          <h2>Invitations</h2>
          <form className="row panel" onSubmit={invite} aria-label="Invite a member" style={{ marginBottom: 10 }}>
            <label>
              Email
              <input name="email" type="email" required />
            </label>
            <label>
              Role
              <select name="role" defaultValue="viewer">
                {roles.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            </label>
            <button className="primary" style={{ alignSelf: 'flex-end' }}>
              Invite
            </button>
          </form>
          <Async state={invites} empty={(d) => (d.invitations.length ? null : 'No open invitations.')}>
            {(d) => (
              <ul>
                {d.invitations.map((i) => (
                  <li key={i.id}>
                    {i.email} as {i.role}, expires {formatTime(i.expiresAt)}{' '}
                    <button type="button" onClick={() => act(api(`/api/v1/invitations/${i.id}`, { method: 'DELETE' }), invites.reload)}>
                      Cancel
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </Async>
        </section>
      )}
    </>
  );
}

function Audit() {
  const [pages, setPages] = useState<number[]>([]); // the `before` cursors visited
  const before = pages[pages.length - 1];
  const s = useApi<{ entries: AuditEntry[]; next: number | null }>(`/api/v1/audit?limit=50${before ? `&before=${before}` : ''}`);
  return (
    <Async state={s} empty={(d) => (d.entries.length ? null : 'Nothing recorded yet.')}>
      {(d) => (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>When</th>
                  <th>Who</th>
                  <th>Action</th>
                  <th className="hide-phone">Target</th>
                  <th className="hide-phone">Details</th>
                </tr>
              </thead>
              <tbody>
                {d.entries.map((e) => (
                  <tr key={e.id} data-action={e.action}>
                    <td className="small" title={formatTime(e.ts)}>
                      {ago(e.ts)}
                    </td>
                    <td className="small">{e.actor.label ?? e.actor.type}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td className="hide-phone small">
                      {e.target.type} {e.target.id}
                    </td>
                    <td className="hide-phone small">{JSON.stringify(e.details)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="row" style={{ marginTop: 10 }}>
            {pages.length > 0 && (
              <button type="button" onClick={() => setPages((p) => p.slice(0, -1))}>
                Newer
              </button>
            )}
            {d.next !== null && (
              <button type="button" onClick={() => setPages((p) => [...p, d.next!])}>
                Older
              </button>
            )}
          </div>
        </>
      )}
    </Async>
  );
}

function SettingsBody() {
  const canAudit = useCan('audit:read');
  const canKeys = useCan('keys:read');
  return (
    <>
      <h1>Settings</h1>
      <Tabs
        tabs={[
          ...(canKeys ? [{ id: 'keys', label: 'API keys', render: () => <Keys /> }] : []),
          { id: 'members', label: 'Members', render: () => <Members /> },
          ...(canAudit ? [{ id: 'audit', label: 'Audit log', render: () => <Audit /> }] : []),
        ]}
      />
    </>
  );
}

export default function SettingsPage() {
  return (
    <AppShell>
      <SettingsBody />
    </AppShell>
  );
}
