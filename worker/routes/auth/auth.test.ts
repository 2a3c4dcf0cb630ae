// Accounts: sign-up by emailed link, sessions, CSRF, email verification and password reset links
// (issues #5, #11).
import { env, SELF } from 'cloudflare:test';
import { asc, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { withDb } from '../../db/client.ts';
import { emailTokens, sessions, signupAttempts, users } from '../../db/schema.ts';
import { addMember, createTenant, createUser } from '../../db/tenants.ts';
import { BASE } from '../../../test/helpers.ts';
import { Browser, lastEmailTo, newEmail, PASSWORD, signUp } from '../../../test/session.ts';
import { received, waitFor } from '../../../test/alert-helpers.ts';

const signupCall = (email: string, password = PASSWORD, extra: Record<string, string> = {}) =>
  SELF.fetch(`${BASE}/api/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password, ...extra }) });

/** What a caller of the sign-up endpoint can observe, minus what differs for any two requests. */
async function observed(res: Response, email: string) {
  const names = [...res.headers.keys()].filter((h) => h !== 'date').sort();
  const text = await res.text();
  return { status: res.status, headers: names, cookie: res.headers.get('set-cookie'), body: text.replaceAll(email, '<email>') };
}

const mailsTo = async (email: string) => (await received('/resend/emails')).map((r) => JSON.parse(r.body) as { to: string[]; subject: string; text: string }).filter((m) => m.to.includes(email));
const settle = () => new Promise((r) => setTimeout(r, 300)); // any further mail would have arrived by now
const attemptsFor = (email: string) => withDb(env, (db) => db.select().from(signupAttempts).where(eq(signupAttempts.email, email)).orderBy(asc(signupAttempts.createdAt)));
/** Moves this address's sign-up attempts back past the one-email-a-minute cooldown. */
const pastCooldown = (email: string) =>
  withDb(env, (db) => db.update(signupAttempts).set({ createdAt: sql`${signupAttempts.createdAt} - interval '2 minutes'` }).where(eq(signupAttempts.email, email)));

/** An account made before sign-up by link (or seeded): its email not verified yet. */
async function unverifiedUser(email = newEmail('legacy')) {
  await withDb(env, async (db) => {
    const org = await createTenant(db, 'Legacy Org');
    const user = await createUser(db, email, PASSWORD);
    await addMember(db, org.id, user.id, 'owner');
  });
  const b = new Browser();
  expect((await b.call('POST', '/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(200);
  return b;
}

describe('sign-up by emailed link', () => {
  it('creates nothing until the link and the password; then an owned organization, a Secure HttpOnly SameSite cookie, a hashed password', async () => {
    const email = newEmail('signup');
    const start = await new Browser().call('POST', '/api/v1/auth/signup', { email: email.toUpperCase(), password: PASSWORD, orgName: 'Acme' });
    expect(start.status).toBe(202);
    expect(start.body).toEqual({ status: 'check_email', email });
    expect(start.headers.get('set-cookie')).toBeNull();
    expect(await withDb(env, (db) => db.select().from(users).where(eq(users.email, email)))).toHaveLength(0);
    expect((await new Browser().call('POST', '/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(401);

    const mail = await lastEmailTo(email, /Finish creating/);
    expect(mail.text).toContain('http://monitor.test/activate?token=');
    // The link alone does not do it: whoever signed up with an address not theirs cannot finish.
    const wrong = await new Browser().call('POST', '/api/v1/auth/signup/confirm', { token: mail.token, password: 'not the password chosen' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'wrong_password', field: 'password' });
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const b = new Browser();
    const r = await b.call('POST', '/api/v1/auth/signup/confirm', { token: mail.token, password: PASSWORD });
    expect(r.status).toBe(201);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^pulse_session=[A-Za-z0-9]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Expires=/);
    // The link proved the address.
    expect(r.body.user).toMatchObject({ email, emailVerified: true });
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
    expect((await new Browser().call('POST', '/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(200);

    const again = await new Browser().call('POST', '/api/v1/auth/signup/confirm', { token: mail.token, password: PASSWORD });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('invalid_token');
  });

  it('answers an address with an account exactly as a new one, sets no session, and tells the owner instead', async () => {
    const owner = await signUp(newEmail('owner'), 'Owner Org');
    const taken = owner.me!.user.email;
    await pastCooldown(taken);
    const fresh = newEmail('fresh');
    const intruderPassword = 'an intruder passphrase';
    const forTaken = await observed(await signupCall(taken, intruderPassword, { orgName: 'Takeover' }), taken);
    const forFresh = await observed(await signupCall(fresh, intruderPassword, { orgName: 'Takeover' }), fresh);
    expect(forTaken).toEqual(forFresh);
    expect(forTaken).toMatchObject({ status: 202, cookie: null });

    const notice = await lastEmailTo(taken, /Someone tried to sign up/);
    expect(notice.text).toContain('http://monitor.test/login/');
    expect(notice.text).toContain('http://monitor.test/reset/');
    expect(notice.token).toBeNull(); // no link that does anything by itself
    await lastEmailTo(fresh, /Finish creating/);
    // The account is as it was: its password, its one organization; the attempt's password was not kept.
    expect((await new Browser().call('POST', '/api/v1/auth/login', { email: taken, password: intruderPassword })).status).toBe(401);
    const me = await new Browser().call('POST', '/api/v1/auth/login', { email: taken, password: PASSWORD });
    expect(me.status).toBe(200);
    expect(me.body.orgs.map((o: { name: string }) => o.name)).toEqual(['Owner Org']);
    const attempts = await attemptsFor(taken);
    expect(attempts.map((a) => [a.kind, a.passwordHash, a.orgName])).toEqual([
      ['new', expect.any(String), 'Owner Org'], // the owner's own sign-up, used
      ['existing', null, null],
    ]);
  });

  it('mails at most one sign-up email per address a minute, answering the same each time', async () => {
    const owner = await signUp(newEmail('flood-owner'));
    const taken = owner.me!.user.email;
    await pastCooldown(taken);
    const fresh = newEmail('flood-new');
    await settle();
    const before = (await mailsTo(taken)).length;
    for (let i = 0; i < 3; i++) {
      expect((await signupCall(fresh)).status).toBe(202);
      expect((await signupCall(taken)).status).toBe(202);
    }
    await lastEmailTo(taken, /Someone tried/);
    await settle();
    expect((await mailsTo(fresh)).map((m) => m.subject)).toEqual(['Finish creating your Pulse Monitor account']);
    expect((await mailsTo(taken)).length - before).toBe(1);
  });

  it('refuses an expired link, and a second link once the account exists', async () => {
    const email = newEmail('twice');
    expect((await signupCall(email)).status).toBe(202);
    const first = await lastEmailTo(email, /Finish creating/);
    // Past the cooldown, a second sign-up mails a second link.
    await pastCooldown(email);
    expect((await signupCall(email)).status).toBe(202);
    const second = await waitFor(() => mailsTo(email), (m) => m.length === 2);
    const secondToken = /token=([A-Za-z0-9]+)/.exec(second[1]!.text)![1]!;
    expect(secondToken).not.toBe(first.token);

    expect((await new Browser().call('POST', '/api/v1/auth/signup/confirm', { token: first.token, password: PASSWORD })).status).toBe(201);
    const late = await new Browser().call('POST', '/api/v1/auth/signup/confirm', { token: secondToken, password: PASSWORD });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('email_taken');
    expect(late.headers.get('set-cookie')).toBeNull();

    const other = newEmail('expired');
    expect((await signupCall(other)).status).toBe(202);
    const mail = await lastEmailTo(other, /Finish creating/);
    await withDb(env, (db) => db.update(signupAttempts).set({ expiresAt: new Date(Date.now() - 1) }).where(eq(signupAttempts.email, other)));
    const expired = await new Browser().call('POST', '/api/v1/auth/signup/confirm', { token: mail.token, password: PASSWORD });
    expect(expired.status).toBe(400);
    expect(expired.body.error).toMatchObject({ code: 'invalid_token', field: 'token' });
    expect(await withDb(env, (db) => db.select().from(users).where(eq(users.email, other)))).toHaveLength(0);
  });

  it('refuses a short password, unknown fields and a bad email, naming the field', async () => {
    const short = await new Browser().call('POST', '/api/v1/auth/signup', { email: newEmail(), password: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error.field).toBe('password');
    const extra = await new Browser().call('POST', '/api/v1/auth/signup', { email: newEmail(), password: PASSWORD, admin: true });
    expect(extra.status).toBe(400);
    expect(extra.body.error.field).toBe('admin');
    const bad = await new Browser().call('POST', '/api/v1/auth/signup', { email: 'not-an-email', password: PASSWORD });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('email');
    const noToken = await new Browser().call('POST', '/api/v1/auth/signup/confirm', { password: PASSWORD });
    expect(noToken.status).toBe(400);
    expect(noToken.body.error.field).toBe('token');
  });
});

describe('sessions', () => {
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

describe('email verification (accounts from before sign-up by link)', () => {
  it('sends a link that verifies once and then refuses', async () => {
    const b = await unverifiedUser();
    const email = b.me!.user.email;
    expect(b.me!.user.emailVerified).toBe(false);
    expect((await b.call('POST', '/api/v1/auth/verify-email/resend')).status).toBe(202);
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
    const b = await unverifiedUser();
    const email = b.me!.user.email;
    expect((await b.call('POST', '/api/v1/auth/verify-email/resend')).status).toBe(202);
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

  it('sends nothing to an account that signed up by link (already verified)', async () => {
    const b = await signUp(newEmail('verified'));
    expect((await b.call('POST', '/api/v1/auth/verify-email/resend')).status).toBe(202);
    await settle();
    expect((await mailsTo(b.me!.user.email)).map((m) => m.subject)).toEqual(['Finish creating your Pulse Monitor account']);
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
    expect(mails.map((m) => (JSON.parse(m.body) as { subject: string }).subject).sort()).toEqual(['Finish creating your Pulse Monitor account', 'Reset your Pulse Monitor password']);
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
