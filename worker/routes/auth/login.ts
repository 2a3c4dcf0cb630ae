// POST /api/v1/auth/login. The same answer and about the same time for an unknown email as for a
// wrong password, so the endpoint does not reveal who has an account.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import { LoginBody, Me } from '../../../protocol/account.ts';
import { publicRoute } from '../../auth/authorize.ts';
import { hashPassword, verifyPassword } from '../../auth/password.ts';
import { startSession } from '../../auth/session.ts';
import { throttleLogin } from '../../auth/throttle.ts';
import { withDb } from '../../db/client.ts';
import { memberships, users } from '../../db/schema.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, errorDoc, json } from '../schemas.ts';
import { buildMe } from './me.ts';

let dummyHash: string | undefined; // compared against for unknown emails (per isolate; not a secret)

export function registerLogin(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/auth/login',
      tags: ['auth'],
      summary: 'Log in with email and password (sets the session cookie)',
      ...publicRoute,
      request: { body: { required: true, ...json(LoginBody) } },
      responses: { 200: { description: 'Logged in', ...json(Me) }, 429: errorDoc('Too many attempts; see Retry-After'), ...authErrors },
    }),
    async (c) => {
      const { email, password } = c.req.valid('json');
      await throttleLogin(c, email);
      const me = await withDb(c.env, async (db) => {
        const [user] = await db.select().from(users).where(eq(users.email, email));
        const ok = await verifyPassword(password, user?.passwordHash ?? (dummyHash ??= await hashPassword('not-a-password')));
        if (!user || !ok) throw new ApiError(401, 'invalid_credentials', 'wrong email or password', 'password');
        const [first] = await db.select({ tenantId: memberships.tenantId }).from(memberships).where(eq(memberships.userId, user.id)).orderBy(asc(memberships.createdAt)).limit(1);
        const { csrfToken } = await startSession(c, db, user.id, first?.tenantId ?? null);
        return buildMe(db, user.id, first?.tenantId ?? null, csrfToken);
      });
      return c.json(me, 200);
    },
  );
}
