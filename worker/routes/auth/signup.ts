// POST /api/v1/auth/signup. The same answer, with no session, for a new address and a taken one,
// after the same work (a password hash, one lookup, one insert), so sign-up does not reveal who
// has an account (docs/auth.md). A new address is mailed a link that finishes the sign-up
// (signup-confirm.ts); an existing account's owner is told someone tried to sign up.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, gt } from 'drizzle-orm';
import { SignupBody, SignupPending } from '../../../protocol/account.ts';
import { publicRoute } from '../../auth/authorize.ts';
import { randomToken, sha256Hex } from '../../auth/crypto.ts';
import { EMAIL_COOLDOWN_MS } from '../../auth/email-tokens.ts';
import { hashPassword } from '../../auth/password.ts';
import { throttleSignup } from '../../auth/throttle.ts';
import { withDb } from '../../db/client.ts';
import { signupAttempts, users } from '../../db/schema.ts';
import { appUrl, queueAccountEmail } from '../../notify/email.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, errorDoc, json } from '../schemas.ts';
import { registerSignupConfirm } from './signup-confirm.ts';

/** How long the emailed link finishes a sign-up. */
export const SIGNUP_TTL_MS = 24 * 3600_000;

export const verifyEmailText = (link: string) =>
  `Confirm your email address for Pulse Monitor by opening this link (valid for 24 hours, once):\n\n${link}\n\nIf you did not sign up, ignore this email.`;

export const SIGNUP_SUBJECT = 'Finish creating your Pulse Monitor account';
const signupText = (link: string) =>
  `To finish creating your Pulse Monitor account, open this link and enter the password you chose (valid for 24 hours, once):\n\n${link}\n\nIf you did not sign up, ignore this email: no account is created without it.`;

export const TAKEN_SUBJECT = 'Someone tried to sign up to Pulse Monitor with your email';
const takenText = (login: string, reset: string) =>
  `Someone, perhaps you, tried to create a Pulse Monitor account with this email address. It already has an account, so nothing was created and nothing changed.\n\nLog in: ${login}\nForgot your password? Reset it: ${reset}\n\nIf it was not you, you can ignore this email.`;

export function registerSignup(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/auth/signup',
      tags: ['auth'],
      summary: 'Start a sign-up: emails a link that creates the account (the same answer whether or not the address has one)',
      ...publicRoute,
      request: { body: { required: true, ...json(SignupBody) } },
      responses: {
        202: { description: 'Check your email: a link to finish the sign-up, or, for an address with an account, a notice to its owner', ...json(SignupPending) },
        429: errorDoc('Too many sign-ups for this email or from this address; see Retry-After'),
        ...authErrors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      await throttleSignup(c, body.email);
      // Both branches: the hash (most of the time taken), a lookup, the cooldown check, an insert.
      const passwordHash = await hashPassword(body.password);
      const token = randomToken(40);
      const tokenHash = await sha256Hex(token);
      const kind = await withDb(c.env, async (db) => {
        const [user] = await db.select({ id: users.id }).from(users).where(eq(users.email, body.email));
        // At most one sign-up email per address a minute: repeated sign-ups flood nobody's inbox.
        const [recent] = await db
          .select({ at: signupAttempts.createdAt })
          .from(signupAttempts)
          .where(and(eq(signupAttempts.email, body.email), gt(signupAttempts.createdAt, new Date(Date.now() - EMAIL_COOLDOWN_MS))))
          .limit(1);
        if (recent) return null;
        const kind = user ? ('existing' as const) : ('new' as const);
        await db.insert(signupAttempts).values({
          tokenHash,
          email: body.email,
          kind,
          passwordHash: user ? null : passwordHash,
          name: user ? null : (body.name ?? null),
          orgName: user ? null : (body.orgName ?? null),
          expiresAt: new Date(Date.now() + SIGNUP_TTL_MS),
        });
        return kind;
      });
      if (kind === 'new') queueAccountEmail(c, { to: body.email, subject: SIGNUP_SUBJECT, text: signupText(appUrl(c, `/activate?token=${token}`)) });
      if (kind === 'existing') queueAccountEmail(c, { to: body.email, subject: TAKEN_SUBJECT, text: takenText(appUrl(c, '/login/'), appUrl(c, '/reset/')) });
      return c.json({ status: 'check_email' as const, email: body.email }, 202);
    },
  );
  registerSignupConfirm(app);
}
