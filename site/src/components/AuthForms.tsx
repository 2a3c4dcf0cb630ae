// Sign-up, log-in, password reset (request and confirm), email verification and invitation links.
// Each form posts JSON to the account API (docs/auth.md); field errors come back named.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { Me } from '../../../protocol/account.ts';
import { api, ApiError, loadMe, setMe } from '../lib/api.ts';
import { ThemeToggle } from './AppShell.tsx';

type Mode = 'signup' | 'login' | 'reset' | 'verify' | 'invite';

const nextUrl = () => {
  const n = new URLSearchParams(location.search).get('next');
  return n && n.startsWith('/') && !n.startsWith('//') ? n : '/app/';
};
const token = () => new URLSearchParams(location.search).get('token') ?? '';

function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <>
      <header className="top">
        <a className="brand" href="/">
          Pulse
        </a>
        <span className="spacer" />
        <ThemeToggle />
      </header>
      <main id="main" className="auth-card panel">
        <h1>{title}</h1>
        {children}
      </main>
    </>
  );
}

function useSubmit(run: (f: FormData) => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await run(new FormData(e.currentTarget));
    } catch (err) {
      const a = err as ApiError;
      setError({ message: a.status === 429 ? 'Too many attempts; wait a minute and try again.' : a.message, ...(a.field && { field: a.field }) });
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, onSubmit };
}

const Err = ({ error }: { error: { message: string; field?: string } | null }) =>
  error ? (
    <p className="error" role="alert" id="form-error">
      {error.field ? `${error.field}: ` : ''}
      {error.message}
    </p>
  ) : null;

const str = (f: FormData, k: string) => String(f.get(k) ?? '');

function Signup() {
  const { busy, error, onSubmit } = useSubmit(async (f) => {
    const body = { email: str(f, 'email'), password: str(f, 'password'), ...(str(f, 'name') && { name: str(f, 'name') }), ...(str(f, 'orgName') && { orgName: str(f, 'orgName') }) };
    setMe(await api<Me>('/api/v1/auth/signup', { method: 'POST', body }));
    location.assign(nextUrl());
  });
  return (
    <Card title="Create your account">
      <form className="stack" onSubmit={onSubmit} aria-describedby="form-error">
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required aria-invalid={error?.field === 'email'} />
        </label>
        <label>
          Password (at least 10 characters)
          <input name="password" type="password" autoComplete="new-password" minLength={10} required aria-invalid={error?.field === 'password'} />
        </label>
        <label>
          Your name (optional)
          <input name="name" autoComplete="name" />
        </label>
        <label>
          Organization (optional)
          <input name="orgName" autoComplete="organization" />
        </label>
        <Err error={error} />
        <button className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Sign up'}
        </button>
        <p className="small muted">
          Already have an account? <a href="/login/">Log in</a>
        </p>
      </form>
    </Card>
  );
}

function Login() {
  const { busy, error, onSubmit } = useSubmit(async (f) => {
    setMe(await api<Me>('/api/v1/auth/login', { method: 'POST', body: { email: str(f, 'email'), password: str(f, 'password') } }));
    location.assign(nextUrl());
  });
  return (
    <Card title="Log in">
      <form className="stack" onSubmit={onSubmit}>
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <Err error={error} />
        <button className="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p className="small muted">
          <a href="/reset/">Forgot your password?</a> · <a href="/signup/">Create an account</a>
        </p>
      </form>
    </Card>
  );
}

function Reset() {
  const t = token();
  const [done, setDone] = useState(false);
  const { busy, error, onSubmit } = useSubmit(async (f) => {
    if (t) await api('/api/v1/auth/password-reset/confirm', { method: 'POST', body: { token: t, password: str(f, 'password') } });
    else await api('/api/v1/auth/password-reset', { method: 'POST', body: { email: str(f, 'email') } });
    setDone(true);
  });
  if (done)
    return (
      <Card title="Password reset">
        <p role="status">{t ? 'Your password is changed. Every session was ended; log in with the new password.' : 'If an account uses that address, a link to reset its password is on its way (valid for 1 hour).'}</p>
        <a href="/login/">Log in</a>
      </Card>
    );
  return (
    <Card title={t ? 'Choose a new password' : 'Reset your password'}>
      <form className="stack" onSubmit={onSubmit}>
        {t ? (
          <label>
            New password (at least 10 characters)
            <input name="password" type="password" autoComplete="new-password" minLength={10} required />
          </label>
        ) : (
          <label>
            Email
            <input name="email" type="email" autoComplete="email" required />
          </label>
        )}
        <Err error={error} />
        <button className="primary" disabled={busy}>
          {t ? 'Set password' : 'Email me a link'}
        </button>
      </form>
    </Card>
  );
}

/** Verify-email and invitation links: one POST with the token, then on to the dashboard. */
function TokenLink({ mode }: { mode: 'verify' | 'invite' }) {
  const [state, setState] = useState<'working' | 'ok' | 'login' | string>('working');
  useEffect(() => {
    (async () => {
      if (mode === 'invite' && !(await loadMe())) return setState('login');
      if (mode === 'verify') await api('/api/v1/auth/verify-email', { method: 'POST', body: { token: token() } });
      else setMe(await api<Me>('/api/v1/invitations/accept', { method: 'POST', body: { token: token() } }));
      setState('ok');
    })().catch((e: Error) => setState(e.message));
  }, [mode]);
  const here = encodeURIComponent(location.pathname + location.search);
  return (
    <Card title={mode === 'verify' ? 'Confirm your email' : 'Join an organization'}>
      {state === 'working' && <p aria-busy="true">Working…</p>}
      {state === 'ok' && (
        <p role="status">
          {mode === 'verify' ? 'Your email address is confirmed.' : 'You joined the organization.'} <a href="/app/">Open the dashboard</a>
        </p>
      )}
      {state === 'login' && (
        <p>
          Log in or sign up with the invited address first: <a href={`/login/?next=${here}`}>log in</a> · <a href={`/signup/?next=${here}`}>sign up</a>
        </p>
      )}
      {!['working', 'ok', 'login'].includes(state) && (
        <p className="error" role="alert">
          {state}
        </p>
      )}
    </Card>
  );
}

export default function AuthForms({ mode }: { mode: Mode }) {
  if (mode === 'signup') return <Signup />;
  if (mode === 'login') return <Login />;
  if (mode === 'reset') return <Reset />;
  return <TokenLink mode={mode} />;
}
