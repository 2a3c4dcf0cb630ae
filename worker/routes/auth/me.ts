// GET /api/v1/auth/me, POST /api/v1/auth/logout, POST /api/v1/auth/switch-org.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { and, asc, eq } from 'drizzle-orm';
import { Me, SwitchOrgBody } from '../../../protocol/account.ts';
import { sessionOnly } from '../../auth/authorize.ts';
import { clearSessionCookie } from '../../auth/session.ts';
import { httpDb, withDb } from '../../db/client.ts';
import { memberships, sessions, tenants, users } from '../../db/schema.ts';
import type { AnyPg } from '../../db/tenants.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, json } from '../schemas.ts';

/** The Me answer for a user, their organizations and the session's active one. */
export async function buildMe(db: AnyPg, userId: string, activeOrgId: string | null, csrfToken: string) {
  const [user] = await db.select().from(users).where(eq(users.id, userId));
  if (!user) throw new ApiError(401, 'unauthorized', 'the account no longer exists');
  const orgs = await db
    .select({ id: tenants.id, name: tenants.name, slug: tenants.slug, role: memberships.role })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt), asc(tenants.id));
  return {
    user: { id: user.id, email: user.email, name: user.name, emailVerified: user.emailVerifiedAt !== null },
    orgs,
    activeOrgId: orgs.some((o) => o.id === activeOrgId) ? activeOrgId : null,
    csrfToken,
  };
}

export function registerMe(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ method: 'get', path: '/api/v1/auth/me', tags: ['auth'], summary: 'The logged-in user, their organizations and the CSRF token', ...sessionOnly(), responses: { 200: { description: 'Me', ...json(Me) }, ...authErrors } }),
    async (c) => {
      const s = c.get('session');
      // Reads only, each statement on its own: the HTTP query endpoint, no connection per request.
      const me = await buildMe(httpDb(c.env), s.userId, s.activeTenantId, s.csrfToken);
      return c.json(me, 200);
    },
  );

  app.openapi(
    createRoute({ method: 'post', path: '/api/v1/auth/logout', tags: ['auth'], summary: 'End this session', ...sessionOnly(), responses: { 204: { description: 'Logged out' }, ...authErrors } }),
    async (c) => {
      const s = c.get('session');
      await withDb(c.env, (db) => db.delete(sessions).where(eq(sessions.id, s.id)));
      clearSessionCookie(c);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/auth/switch-org',
      tags: ['auth'],
      summary: "Make another of the user's organizations the active one",
      ...sessionOnly(),
      request: { body: { required: true, ...json(SwitchOrgBody) } },
      responses: { 200: { description: 'Me', ...json(Me) }, ...authErrors },
    }),
    async (c) => {
      const s = c.get('session');
      const { orgId } = c.req.valid('json');
      const me = await withDb(c.env, async (db) => {
        const [m] = await db.select().from(memberships).where(and(eq(memberships.userId, s.userId), eq(memberships.tenantId, orgId)));
        if (!m) throw new ApiError(404, 'not_found', `you are not a member of organization "${orgId}"`, 'orgId');
        await db.update(sessions).set({ activeTenantId: orgId }).where(eq(sessions.id, s.id));
        return buildMe(db, s.userId, orgId, s.csrfToken);
      });
      return c.json(me, 200);
    },
  );
}
