// Sign-up (the form, then the emailed link that finishes it), log-in, password reset (request and
// confirm), email verification and invitation links. Each form posts JSON to the account API
// (docs/auth.md); field errors come back named.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { Me, SignupPending } from '../../../protocol/account.ts';
import { api, ApiError, loadMe, setMe } from '../lib/api.ts';
import { ThemeToggle } from './AppShell.tsx';

type Mode = 'signup' | 'activate' | 'login' | 'reset' | 'verify' | 'invite';

const localPath = (n: string | null) => (n && n.startsWith('/') && !n.startsWith('//') ? n : null);
const nextUrl = () => localPath(new URLSearchParams(location.search).get('next')) ?? '/app/';
/**
 * Where a sign-up started with ?next= (an invitation) continues once its emailed link is opened,
 * often in another tab: kept in this browser only, never sent to the server.
 */
const SIGNUP_NEXT = 'pulse.signup-next';
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
  const [sentTo, setSentTo] = useState<string | null>(null);
  const { busy, error, onSubmit } = useSubmit(async (f) => {
    const body = { email: str(f, 'email'), password: str(f, 'password'), ...(str(f, 'name') && { name: str(f, 'name') }), ...(str(f, 'orgName') && { orgName: str(f, 'orgName') }) };
    const pending = await api<SignupPending>('/api/v1/auth/signup', { method: 'POST', body });
    const next = localPath(new URLSearchParams(location.search).get('next'));
    if (next) localStorage.setItem(SIGNUP_NEXT, next);
    else localStorage.removeItem(SIGNUP_NEXT);
    setSentTo(pending.email);
  });
  // The same page for a new address and one that has an account: the API answers both alike.
  if (sentTo)
    return (
      <Card title="Check your email">
        <p role="status" data-signup-sent>
          We sent a message to <strong>{sentTo}</strong>. Open the link in it within 24 hours and enter the password you just chose to finish creating your account.
        </p>
        <p className="small muted">
          If this address already has an account, the message says so instead: <a href="/login/">log in</a> or <a href="/reset/">reset the password</a>. Nothing there? Check the spam folder, or sign up again in a minute.
        </p>
      </Card>
    );
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

/** The emailed sign-up link: the password chosen at sign-up creates the account and logs in. */
function Activate() {
  const t = token();
  const { busy, error, onSubmit } = useSubmit(async (f) => {
    setMe(await api<Me>('/api/v1/auth/signup/confirm', { method: 'POST', body: { token: t, password: str(f, 'password') } }));
    const next = localPath(localStorage.getItem(SIGNUP_NEXT)) ?? '/app/';
    localStorage.removeItem(SIGNUP_NEXT);
    location.assign(next);
  });
  return (
    <Card title="Finish creating your account">
      <form className="stack" onSubmit={onSubmit} aria-describedby="form-error">
        <p className="small muted">Enter the password you chose when you signed up.</p>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required aria-invalid={error?.field === 'password'} />
        </label>
        <Err error={error} />
        {error?.field === 'token' && (
          <p className="small">
            <a href="/signup/">Sign up again</a> · <a href="/login/">Log in</a>
          </p>
        )}
        <button className="primary" disabled={busy || !t}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
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
  if (mode === 'activate') return <Activate />;
  if (mode === 'login') return <Login />;
  if (mode === 'reset') return <Reset />;
  return <TokenLink mode={mode} />;
}
