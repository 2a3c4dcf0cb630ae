// Email verification and password reset (links that expire and work once: auth/email-tokens.ts).
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { eq, sql } from 'drizzle-orm';
import { ResetConfirmBody, ResetRequestBody, TokenBody } from '../../../protocol/account.ts';
import { publicRoute, sessionOnly } from '../../auth/authorize.ts';
import { consumeEmailToken, issueEmailToken, recentlyIssued } from '../../auth/email-tokens.ts';
import { hashPassword } from '../../auth/password.ts';
import { withDb } from '../../db/client.ts';
import { sessions, users } from '../../db/schema.ts';
import { ApiError } from '../../errors.ts';
import { appUrl, queueAccountEmail } from '../../notify/email.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, json } from '../schemas.ts';
import { verifyEmailText } from './signup.ts';

const badLink = () => new ApiError(400, 'invalid_token', 'this link is invalid, has expired or was already used; ask for a new one', 'token');
const post = (path: string, summary: string) => ({ method: 'post' as const, path, tags: ['auth'], summary });

export function registerEmailLinks(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ ...post('/api/v1/auth/verify-email', 'Confirm an email address with the emailed token'), ...publicRoute, request: { body: { required: true, ...json(TokenBody) } }, responses: { 204: { description: 'Verified' }, ...authErrors } }),
    async (c) => {
      const { token } = c.req.valid('json');
      await withDb(c.env, (db) =>
        db.transaction(async (tx) => {
          const userId = await consumeEmailToken(tx, token, 'verify');
          if (!userId) throw badLink();
          await tx.update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, userId));
        }),
      );
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({ ...post('/api/v1/auth/verify-email/resend', 'Send the verification email again'), ...sessionOnly(), responses: { 202: { description: 'Sent, unless already verified or a link went out in the last minute' }, ...authErrors } }),
    async (c) => {
      const s = c.get('session');
      const token = await withDb(c.env, async (db) => {
        const [u] = await db.select({ verified: users.emailVerifiedAt }).from(users).where(eq(users.id, s.userId));
        if (u?.verified || (await recentlyIssued(db, s.userId, 'verify'))) return null;
        return issueEmailToken(db, s.userId, 'verify');
      });
      if (token) queueAccountEmail(c, { to: s.email, subject: 'Confirm your email for Pulse Monitor', text: verifyEmailText(appUrl(c, `/verify?token=${token}`)) });
      return c.body(null, 202);
    },
  );

  app.openapi(
    createRoute({
      ...post('/api/v1/auth/password-reset', 'Email a password reset link (at most one a minute; the answer is the same whether or not the account exists)'),
      ...publicRoute,
      request: { body: { required: true, ...json(ResetRequestBody) } },
      responses: { 202: { description: 'A link was sent if the account exists' }, ...authErrors },
    }),
    async (c) => {
      const { email } = c.req.valid('json');
      const token = await withDb(c.env, async (db) => {
        const [u] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
        // The same 202 either way: the answer never says whether the account exists or was just mailed.
        if (!u || (await recentlyIssued(db, u.id, 'reset'))) return null;
        return issueEmailToken(db, u.id, 'reset');
      });
      if (token)
        queueAccountEmail(c, {
          to: email,
          subject: 'Reset your Pulse Monitor password',
          text: `Open this link to choose a new password (valid for 1 hour, once):\n\n${appUrl(c, `/reset?token=${token}`)}\n\nIf you did not ask for this, ignore this email; your password is unchanged.`,
        });
      return c.body(null, 202);
    },
  );

  app.openapi(
    createRoute({
      ...post('/api/v1/auth/password-reset/confirm', 'Set a new password with the emailed token; ends every session of the account'),
      ...publicRoute,
      request: { body: { required: true, ...json(ResetConfirmBody) } },
      responses: { 204: { description: 'Password changed' }, ...authErrors },
    }),
    async (c) => {
      const { token, password } = c.req.valid('json');
      const passwordHash = await hashPassword(password);
      await withDb(c.env, (db) =>
        db.transaction(async (tx) => {
          const userId = await consumeEmailToken(tx, token, 'reset');
          if (!userId) throw badLink();
          // The emailed link proves the address, too.
          await tx.update(users).set({ passwordHash, emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` }).where(eq(users.id, userId));
          await tx.delete(sessions).where(eq(sessions.userId, userId));
        }),
      );
      return c.body(null, 204);
    },
  );
}
