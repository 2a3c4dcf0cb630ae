// The frame of every /app page: checks the session (else to the login page), the navigation, the
// organization switcher, dark mode, log out. Pages render inside once the user is known.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { Me } from '../../../protocol/account.ts';
import { roleCan, type Permission } from '../../../protocol/roles.ts';
import { api, loadMe, loginUrl, setMe } from '../lib/api.ts';

const MeContext = createContext<Me | null>(null);
export const useMe = () => useContext(MeContext)!;

export function useCan(p: Permission): boolean {
  const me = useMe();
  const role = me.orgs.find((o) => o.id === me.activeOrgId)?.role;
  return role ? roleCan(role, p) : false;
}

const NAV = [
  { href: '/app/', label: 'Overview', match: (p: string) => p === '/app/' || p === '/app' || p.startsWith('/app/host') },
  { href: '/app/services/', label: 'Services', match: (p: string) => p.startsWith('/app/services') || p.startsWith('/app/service/') },
  { href: '/app/traces/', label: 'Traces', match: (p: string) => p.startsWith('/app/traces') || p.startsWith('/app/trace/') },
  { href: '/app/slos/', label: 'SLOs', match: (p: string) => p.startsWith('/app/slo') },
  { href: '/app/logs/', label: 'Logs', match: (p: string) => p.startsWith('/app/logs') },
  { href: '/app/alerts/', label: 'Alerts', match: (p: string) => p.startsWith('/app/alerts') },
  { href: '/app/settings/', label: 'Settings', match: (p: string) => p.startsWith('/app/settings') },
];

export function ThemeToggle() {
  const [theme, setTheme] = useState<string>(() => document.documentElement.dataset.theme ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  const toggle = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    localStorage.setItem('theme', next);
    setTheme(next);
    location.reload(); // charts take their colours at creation
  };
  return (
    <button type="button" onClick={toggle} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} mode`}>
      {theme === 'dark' ? '☀' : '☾'}
    </button>
  );
}

/** `eager`: render the page while the session loads (it needs no user data), so its first API
 * requests run in parallel with /auth/me; a 401 from any of them leads to the login page. */
export function AppShell({ children, eager = false }: { children: ReactNode; eager?: boolean }) {
  const [me, setMeState] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    loadMe()
      .then((m) => (m ? setMeState(m) : location.replace(loginUrl())))
      .catch((e: Error) => setError(e.message));
  }, []);

  const switchOrg = async (orgId: string) => {
    const m = await api<Me>('/api/v1/auth/switch-org', { method: 'POST', body: { orgId } });
    setMe(m);
    location.assign('/app/');
  };
  const logout = async () => {
    await api('/api/v1/auth/logout', { method: 'POST' }).catch(() => undefined);
    location.assign('/login/');
  };

  const path = location.pathname;
  return (
    <>
      <header className="top">
        <a className="brand" href="/app/">
          Pulse
        </a>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <a key={n.href} href={n.href} aria-current={n.match(path) ? 'page' : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <span className="spacer" />
        {me && me.orgs.length > 1 && (
          <label className="row small">
            <span className="hide-phone">Organization</span>
            <select value={me.activeOrgId ?? ''} onChange={(e) => void switchOrg(e.target.value)} aria-label="Organization">
              {me.orgs.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {me && me.orgs.length === 1 && <span className="muted small hide-phone">{me.orgs[0]!.name}</span>}
        <ThemeToggle />
        {me && (
          <button type="button" onClick={() => void logout()} title={me.user.email}>
            Log out
          </button>
        )}
      </header>
      <main id="main">
        {error ? (
          <p className="error" role="alert">
            Could not load your session: {error}
          </p>
        ) : me || eager ? (
          <MeContext.Provider value={me}>{children}</MeContext.Provider>
        ) : (
          <div className="skeleton" style={{ height: 200 }} aria-busy="true" aria-label="Loading" />
        )}
      </main>
    </>
  );
}

/** Loading / error / empty states of one data block. */
export function Async<T>({ state, empty, children }: { state: { data?: T; error?: string; loading: boolean }; empty?: (d: T) => ReactNode | null; children: (d: T) => ReactNode }) {
  if (state.error) return <p className="error" role="alert">{state.error}</p>;
  if (state.loading && state.data === undefined) return <div className="skeleton" style={{ height: 120 }} aria-busy="true" aria-label="Loading" />;
  const d = state.data as T;
  const e = empty?.(d);
  if (e) return <div className="empty">{e}</div>;
  return <>{children(d)}</>;
}
