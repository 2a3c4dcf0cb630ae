// Accounts: sign-up, sessions, CSRF, email verification and password reset links (issue #5).
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { withDb } from '../../db/client.ts';
import { emailTokens, sessions, users } from '../../db/schema.ts';
import { Browser, lastEmailTo, newEmail, PASSWORD, signUp } from '../../../test/session.ts';
import { received } from '../../../test/alert-helpers.ts';

describe('sign-up and sessions', () => {
  it('signs up: an owned organization, a Secure HttpOnly SameSite cookie, a hashed password', async () => {
    const email = newEmail('signup');
    const b = new Browser();
    const r = await b.call('POST', '/api/v1/auth/signup', { email: email.toUpperCase(), password: PASSWORD, orgName: 'Acme' });
    expect(r.status).toBe(201);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^pulse_session=[A-Za-z0-9]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Expires=/);
    expect(r.body.user).toMatchObject({ email, emailVerified: false });
    expect(r.body.orgs).toEqual([expect.objectContaining({ name: 'Acme', role: 'owner' })]);
    expect(r.body.activeOrgId).toBe(r.body.orgs[0].id);
    const [row] = await withDb(env, (db) => db.select().from(users).where(eq(users.email, email)));
    expect(row!.passwordHash).toMatch(/^pbkdf2-sha256\$100000\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
    expect(row!.passwordHash).not.toContain(PASSWORD);
    // The cookie's token is stored only as a hash.
    const token = /pulse_session=([^;]+)/.exec(cookie)![1]!;
    const stored = await withDb(env, (db) => db.select().from(sessions).where(eq(sessions.userId, row!.id)));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.tokenHash).not.toBe(token);
    expect((await b.call('GET', '/api/v1/auth/me')).body.user.email).toBe(email);
  });

  it('refuses a taken email, a short password and unknown fields, naming the field', async () => {
    const b = await signUp();
    const email = b.me!.user.email;
    const taken = await new Browser().call('POST', '/api/v1/auth/signup', { email, password: PASSWORD });
    expect(taken.status).toBe(409);
    expect(taken.body.error.field).toBe('email');
    const short = await new Browser().call('POST', '/api/v1/auth/signup', { email: newEmail(), password: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error.field).toBe('password');
    const extra = await new Browser().call('POST', '/api/v1/auth/signup', { email: newEmail(), password: PASSWORD, admin: true });
    expect(extra.status).toBe(400);
    expect(extra.body.error.field).toBe('admin');
    const bad = await new Browser().call('POST', '/api/v1/auth/signup', { email: 'not-an-email', password: PASSWORD });
    expect(bad.body.error.field).toBe('email');
  });

  it('logs in and out; a wrong password and an unknown email get the same answer', async () => {
    const email = newEmail('login');
    await signUp(email);
    const wrong = await new Browser().call('POST', '/api/v1/auth/login', { email, password: 'wrong password!' });
    const unknown = await new Browser().call('POST', '/api/v1/auth/login', { email: newEmail('nobody'), password: 'wrong password!' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    const b = new Browser();
    const ok = await b.call('POST', '/api/v1/auth/login', { email, password: PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.body.orgs).toHaveLength(1);
    expect((await b.call('GET', '/api/v1/hosts')).status).toBe(200);
    const stolen = b.cookie;
    expect((await b.call('POST', '/api/v1/auth/logout')).status).toBe(204);
    // The old cookie is dead server-side, not just cleared in the browser.
    const replay = new Browser();
    replay.cookie = stolen;
    expect((await replay.call('GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await new Browser().call('GET', '/api/v1/hosts')).status).toBe(401);
  });

  it('expires sessions', async () => {
    const b = await signUp();
    await withDb(env, (db) => db.update(sessions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(sessions.userId, b.me!.user.id)));
    expect((await b.call('GET', '/api/v1/auth/me')).status).toBe(401);
  });
});

describe('CSRF on cookie-authenticated writes', () => {
  it('needs the session token header and a same-origin Origin; bearer calls need neither', async () => {
    const b = await signUp();
    const body = { name: 'renamed' };
    const none = await b.call('PATCH', '/api/v1/org', body, { 'x-csrf-token': '' });
    expect(none.status).toBe(403);
    expect(none.body.error.code).toBe('csrf');
    const wrong = await b.call('PATCH', '/api/v1/org', body, { 'x-csrf-token': 'x'.repeat(32) });
    expect(wrong.status).toBe(403);
    const foreign = await b.call('PATCH', '/api/v1/org', body, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.field).toBe('origin');
    const me = await b.call('GET', '/api/v1/auth/me');
    expect(me.body.orgs[0].name).not.toBe('renamed'); // nothing changed
    const ok = await b.call('PATCH', '/api/v1/org', body, { origin: 'http://monitor.test' });
    expect(ok.status).toBe(200);
    expect(ok.body.name).toBe('renamed');
    const key = await b.call('POST', '/api/v1/keys', { name: 'ci', scope: 'admin' });
    const viaKey = await new Browser().call('PATCH', '/api/v1/org', { name: 'by key' }, { authorization: `Bearer ${key.body.key}` });
    expect(viaKey.status).toBe(200);
  });
});

describe('email verification', () => {
  it('sends a link that verifies once and then refuses', async () => {
    const email = newEmail('verify');
    const b = await signUp(email);
    const mail = await lastEmailTo(email, /Confirm your email/);
    expect(mail.text).toContain('http://monitor.test/verify?token=');
    const first = await new Browser().call('POST', '/api/v1/auth/verify-email', { token: mail.token });
    expect(first.status).toBe(204);
    expect((await b.call('GET', '/api/v1/auth/me')).body.user.emailVerified).toBe(true);
    const again = await new Browser().call('POST', '/api/v1/auth/verify-email', { token: mail.token });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('invalid_token');
  });

  it('refuses an expired link', async () => {
    const email = newEmail('verify-exp');
    const b = await signUp(email);
    const mail = await lastEmailTo(email, /Confirm your email/);
    // A day later: expired, and past the one-a-minute cooldown.
    await withDb(env, (db) => db.update(emailTokens).set({ createdAt: new Date(Date.now() - 86_400_000), expiresAt: new Date(Date.now() - 1) }).where(eq(emailTokens.userId, b.me!.user.id)));
    expect((await new Browser().call('POST', '/api/v1/auth/verify-email', { token: mail.token })).status).toBe(400);
    expect((await b.call('GET', '/api/v1/auth/me')).body.user.emailVerified).toBe(false);
    expect((await b.call('POST', '/api/v1/auth/verify-email/resend')).status).toBe(202);
    const fresh = await lastEmailTo(email, /Confirm your email/);
    expect(fresh.count).toBe(2);
    expect((await new Browser().call('POST', '/api/v1/auth/verify-email', { token: fresh.token })).status).toBe(204);
  });
});

describe('password reset', () => {
  it('mails at most one link a minute per account, answering the same each time', async () => {
    const email = newEmail('flood');
    const b = await signUp(email);
    for (let i = 0; i < 5; i++) expect((await new Browser().call('POST', '/api/v1/auth/password-reset', { email })).status).toBe(202);
    expect((await b.call('POST', '/api/v1/auth/verify-email/resend')).status).toBe(202);
    await lastEmailTo(email, /Reset your/);
    await new Promise((r) => setTimeout(r, 300)); // any extra mails would have arrived by now
    const mails = (await received('/resend/emails')).filter((r) => r.body.includes(email));
    expect(mails.map((m) => (JSON.parse(m.body) as { subject: string }).subject).sort()).toEqual(['Confirm your email for Pulse Monitor', 'Reset your Pulse Monitor password']);
  });

  it('resets once with the emailed link and ends every session', async () => {
    const email = newEmail('reset');
    const b = await signUp(email);
    expect((await new Browser().call('POST', '/api/v1/auth/password-reset', { email })).status).toBe(202);
    const mail = await lastEmailTo(email, /Reset your/);
    const next = 'a brand new passphrase';
    expect((await new Browser().call('POST', '/api/v1/auth/password-reset/confirm', { token: mail.token, password: next })).status).toBe(204);
    expect((await b.call('GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await new Browser().call('POST', '/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(401);
    expect((await new Browser().call('POST', '/api/v1/auth/login', { email, password: next })).status).toBe(200);
    const reuse = await new Browser().call('POST', '/api/v1/auth/password-reset/confirm', { token: mail.token, password: 'yet another passphrase' });
    expect(reuse.status).toBe(400);
    expect((await new Browser().call('POST', '/api/v1/auth/login', { email, password: next })).status).toBe(200);
  });

  it('refuses an expired link and answers an unknown email the same without sending anything', async () => {
    const email = newEmail('reset-exp');
    const b = await signUp(email);
    await new Browser().call('POST', '/api/v1/auth/password-reset', { email });
    const mail = await lastEmailTo(email, /Reset your/);
    await withDb(env, (db) => db.update(emailTokens).set({ expiresAt: new Date(Date.now() - 1) }).where(eq(emailTokens.userId, b.me!.user.id)));
    expect((await new Browser().call('POST', '/api/v1/auth/password-reset/confirm', { token: mail.token, password: 'another passphrase' })).status).toBe(400);
    const ghost = newEmail('ghost');
    expect((await new Browser().call('POST', '/api/v1/auth/password-reset', { email: ghost })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 300));
    const sent = (await received('/resend/emails')).filter((r) => r.body.includes(ghost));
    expect(sent).toHaveLength(0);
  });
});
