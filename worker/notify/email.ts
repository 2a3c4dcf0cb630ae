// Account emails (sign-up, verification, password reset, invitations) through Resend's HTTP API, the
// same endpoint the alert email channel uses. Sent after the response (waitUntil); a failure is
// logged without the link, since the link is a credential.
import type { Context } from 'hono';
import type { AppEnv } from '../types.ts';

export interface AccountEmail {
  to: string;
  subject: string;
  text: string;
}

export async function sendAccountEmail(env: Env, mail: AccountEmail): Promise<void> {
  if (!env.RESEND_API_KEY) {
    if (env.ENVIRONMENT === 'production') throw new Error('account email is not configured (RESEND_API_KEY is unset)');
    // Local development without Resend: the developer needs the link, and it is only theirs. A
    // warning, because the local stack runs `wrangler dev --log-level warn`, which drops console.log.
    console.warn(JSON.stringify({ msg: 'account email (RESEND_API_KEY unset; not sent)', to: mail.to, subject: mail.subject, text: mail.text }));
    return;
  }
  const base = (env.RESEND_BASE_URL || 'https://api.resend.com').replace(/\/+$/, '');
  const res = await fetch(`${base}/emails`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${env.RESEND_API_KEY}` },
    body: JSON.stringify({ from: env.EMAIL_FROM || 'Pulse Monitor <accounts@pulse.invalid>', to: [mail.to], subject: mail.subject, text: mail.text }),
  });
  if (!res.ok) throw new Error(`Resend answered HTTP ${res.status}`);
  await res.body?.cancel();
}

/** Queues the email after the response; logs (without the link) if it fails. */
export function queueAccountEmail(c: Context<AppEnv>, mail: AccountEmail) {
  c.executionCtx.waitUntil(
    sendAccountEmail(c.env, mail).catch((err) => console.error(JSON.stringify({ msg: 'account email failed', subject: mail.subject, error: String(err) }))),
  );
}

/** Links point at the site's origin: APP_URL when set, else the request's own. */
export const appUrl = (c: Context<AppEnv>, path: string) => new URL(path, c.env.APP_URL || new URL(c.req.url).origin).toString();
