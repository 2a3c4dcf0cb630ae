// A tiny browser stand-in for workerd tests: keeps the session cookie and sends the CSRF token,
// as the site does (docs/auth.md).
import { SELF } from 'cloudflare:test';
import type { Me } from '../protocol/account.ts';
import { BASE } from './helpers.ts';
import { received, RECORDER, uniq, waitFor } from './alert-helpers.ts';

export interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export class Browser {
  cookie: string | null = null;
  csrf: string | null = null;
  me: Me | null = null;

  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && method !== 'GET' && !('x-csrf-token' in h)) h['x-csrf-token'] = this.csrf;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await SELF.fetch(`${BASE}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const set = res.headers.get('set-cookie');
    if (set) {
      const m = /pulse_session=([^;]*)/.exec(set);
      if (m) this.cookie = m[1] ? `pulse_session=${m[1]}` : null;
    }
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : null;
    if (parsed && typeof parsed === 'object' && 'csrfToken' in parsed) {
      this.me = parsed as Me;
      this.csrf = this.me.csrfToken;
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get orgId() {
    return this.me!.activeOrgId!;
  }
}

export const PASSWORD = 'correct horse battery';
export const newEmail = (tag = 'u') => `${tag}-${uniq()}@example.test`;

/**
 * Signs up a fresh user (and their organization) the way a person does: the sign-up form, then
 * the emailed link (read from the Resend recorder) with the password. The browser then holds
 * the session.
 */
export async function signUp(email = newEmail(), orgName?: string) {
  const b = new Browser();
  const r = await b.call('POST', '/api/v1/auth/signup', { email, password: PASSWORD, ...(orgName && { orgName }) });
  if (r.status !== 202) throw new Error(`signup failed: ${r.status} ${JSON.stringify(r.body)}`);
  const mail = await lastEmailTo(email, /Finish creating/);
  const done = await b.call('POST', '/api/v1/auth/signup/confirm', { token: mail.token, password: PASSWORD });
  if (done.status !== 201) throw new Error(`signup confirmation failed: ${done.status} ${JSON.stringify(done.body)}`);
  return b;
}

/** The newest account email sent to `to` (through the Resend recorder), its link token and text. */
export async function lastEmailTo(to: string, subject: RegExp, timeoutMs = 10_000) {
  const mails = await waitFor(
    async () => (await received('/resend/emails')).map((r) => JSON.parse(r.body) as { to: string[]; subject: string; text: string }).filter((m) => m.to.includes(to) && subject.test(m.subject)),
    (m) => m.length > 0,
    timeoutMs,
  );
  const mail = mails.at(-1);
  if (!mail) throw new Error(`no email to ${to} matching ${subject}`);
  const token = /token=([A-Za-z0-9]+)/.exec(mail.text)?.[1] ?? null;
  return { ...mail, token, count: mails.length };
}

export { RECORDER };
