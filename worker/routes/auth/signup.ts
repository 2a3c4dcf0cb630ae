// POST /api/v1/auth/signup: a user, their first organization (they own it), a session, and a
// verification email, in one transaction.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { Me, SignupBody } from '../../../protocol/account.ts';
import { publicRoute } from '../../auth/authorize.ts';
import { issueEmailToken } from '../../auth/email-tokens.ts';
import { startSession } from '../../auth/session.ts';
import { audit } from '../../audit.ts';
import { withDb } from '../../db/client.ts';
import { users } from '../../db/schema.ts';
import { addMember, createTenant, createUser } from '../../db/tenants.ts';
import { ApiError } from '../../errors.ts';
import { appUrl, queueAccountEmail } from '../../notify/email.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, errorDoc, json } from '../schemas.ts';
import { buildMe } from './me.ts';

export const verifyEmailText = (link: string) =>
  `Confirm your email address for Pulse Monitor by opening this link (valid for 24 hours, once):\n\n${link}\n\nIf you did not sign up, ignore this email.`;

export function registerSignup(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/auth/signup',
      tags: ['auth'],
      summary: 'Create an account and its first organization, and log in',
      ...publicRoute,
      request: { body: { required: true, ...json(SignupBody) } },
      responses: { 201: { description: 'Signed up and logged in', ...json(Me) }, 409: errorDoc('The email is taken'), ...authErrors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { me, token } = await withDb(c.env, (db) =>
        db.transaction(async (tx) => {
          const [taken] = await tx.select({ id: users.id }).from(users).where(eq(users.email, body.email));
          if (taken) throw new ApiError(409, 'email_taken', 'an account with this email exists; log in or reset the password', 'email');
          const user = await createUser(tx, body.email, body.password, body.name);
          const org = await createTenant(tx, body.orgName ?? `${body.name ?? body.email.split('@')[0]}'s organization`);
          await addMember(tx, org.id, user.id, 'owner');
          const { csrfToken } = await startSession(c, tx, user.id, org.id);
          c.set('actor', { type: 'user', id: user.id, label: user.email });
          await audit(tx, c, { tenantId: org.id, action: 'org.create', target: { type: 'org', id: org.id }, details: { name: org.name } });
          const token = await issueEmailToken(tx, user.id, 'verify');
          return { me: await buildMe(tx, user.id, org.id, csrfToken), token };
        }),
      );
      queueAccountEmail(c, { to: me.user.email, subject: 'Confirm your email for Pulse Monitor', text: verifyEmailText(appUrl(c, `/verify?token=${token}`)) });
      return c.json(me, 201);
    },
  );
}
