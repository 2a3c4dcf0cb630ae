// POST /api/v1/auth/signup/confirm: the emailed link plus the password chosen at sign-up create
// the user (email verified), their first organization (they own it) and a session, in one
// transaction. The link alone is not enough: whoever typed an address that is not theirs into
// the sign-up form cannot finish it, and its owner, clicking a link they did not ask for, cannot
// end up in an account whose password someone else knows (docs/auth.md).
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { Me, SignupConfirmBody } from '../../../protocol/account.ts';
import { publicRoute } from '../../auth/authorize.ts';
import { newId, sha256Hex } from '../../auth/crypto.ts';
import { verifyPassword } from '../../auth/password.ts';
import { startSession } from '../../auth/session.ts';
import { audit } from '../../audit.ts';
import { withDb } from '../../db/client.ts';
import { signupAttempts, users } from '../../db/schema.ts';
import { addMember, createTenant } from '../../db/tenants.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, errorDoc, json } from '../schemas.ts';
import { buildMe } from './me.ts';

const badLink = () => new ApiError(400, 'invalid_token', 'this link is invalid, has expired or was already used; sign up again', 'token');

export function registerSignupConfirm(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/auth/signup/confirm',
      tags: ['auth'],
      summary: 'Finish a sign-up with the emailed token and the password chosen at sign-up; creates the account and logs in',
      ...publicRoute,
      request: { body: { required: true, ...json(SignupConfirmBody) } },
      responses: {
        201: { description: 'Account and organization created; logged in (sets the cookie)', ...json(Me) },
        409: errorDoc('An account with this email was created meanwhile (another sign-up link); log in'),
        ...authErrors,
      },
    }),
    async (c) => {
      const { token, password } = c.req.valid('json');
      const tokenHash = await sha256Hex(token);
      const me = await withDb(c.env, async (db) => {
        const live = and(eq(signupAttempts.tokenHash, tokenHash), eq(signupAttempts.kind, 'new'), isNull(signupAttempts.usedAt), gt(signupAttempts.expiresAt, new Date()));
        const [attempt] = await db.select().from(signupAttempts).where(live);
        const passwordHash = attempt?.passwordHash;
        if (!attempt || !passwordHash) throw badLink();
        // Checked before the link is used up, so a typo does not cost the user their link.
        if (!(await verifyPassword(password, passwordHash)))
          throw new ApiError(400, 'wrong_password', 'this is not the password chosen at sign-up', 'password');
        return db.transaction(async (tx) => {
          // Single use: of two clicks at the same moment, one updates the row and the other finds none.
          const used = await tx.update(signupAttempts).set({ usedAt: new Date() }).where(live).returning({ email: signupAttempts.email });
          if (!used.length) throw badLink();
          const userId = newId('usr');
          const created = await tx
            .insert(users)
            .values({ id: userId, email: attempt.email, passwordHash, name: attempt.name, emailVerifiedAt: new Date() })
            .onConflictDoNothing({ target: users.email })
            .returning({ id: users.id });
          if (!created.length) throw new ApiError(409, 'email_taken', 'an account with this email exists now; log in or reset the password', 'token');
          const org = await createTenant(tx, attempt.orgName ?? `${attempt.name ?? attempt.email.split('@')[0]}'s organization`);
          await addMember(tx, org.id, userId, 'owner');
          const { csrfToken } = await startSession(c, tx, userId, org.id);
          c.set('actor', { type: 'user', id: userId, label: attempt.email });
          await audit(tx, c, { tenantId: org.id, action: 'org.create', target: { type: 'org', id: org.id }, details: { name: org.name } });
          return buildMe(tx, userId, org.id, csrfToken);
        });
      });
      return c.json(me, 201);
    },
  );
}
