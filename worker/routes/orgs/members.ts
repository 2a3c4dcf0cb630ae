// Members of the active organization: list, change role, remove. Granting or taking the owner
// role needs owners:write, and the last owner can neither be demoted nor removed.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { and, asc, count, eq } from 'drizzle-orm';
import { Member, UpdateMemberBody } from '../../../protocol/account.ts';
import { roleCan, type Role } from '../../../protocol/roles.ts';
import { guard } from '../../auth/authorize.ts';
import { audit } from '../../audit.ts';
import { httpDb, withDb } from '../../db/client.ts';
import { memberships, sessions, users } from '../../db/schema.ts';
import type { AnyPg } from '../../db/tenants.ts';
import { ApiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, errorDoc, json } from '../schemas.ts';

const UserParam = z.object({ userId: z.string().min(1).max(64).openapi({ param: { name: 'userId', in: 'path' } }) });
const conflict = (message: string) => new ApiError(409, 'conflict', message, 'role');

/** Owner changes need owners:write (a session's role; keys never hold it). */
export function checkOwnerChange(c: Context<AppEnv>, ...roles: (Role | undefined)[]) {
  if (!roles.includes('owner')) return;
  const role = c.get('session')?.role;
  if (!role || !roleCan(role, 'owners:write')) throw new ApiError(403, 'forbidden', 'only an owner can grant or take the owner role', 'role');
}

async function lockedMember(tx: AnyPg, tenantId: string, userId: string) {
  const [m] = await tx.select().from(memberships).where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId))).for('update');
  if (!m) throw new ApiError(404, 'not_found', `no member "${userId}" in this organization`, 'userId');
  return m;
}

async function ownerCount(tx: AnyPg, tenantId: string) {
  const [r] = await tx.select({ n: count() }).from(memberships).where(and(eq(memberships.tenantId, tenantId), eq(memberships.role, 'owner')));
  return r?.n ?? 0;
}

export function registerMembers(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ method: 'get', path: '/api/v1/members', tags: ['organizations'], summary: 'Members of the organization and their roles', ...guard('members:read'), responses: { 200: { description: 'Members', ...json(z.object({ members: z.array(Member) })) }, ...authErrors } }),
    async (c) => {
      const rows = await httpDb(c.env)
        .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role, joinedAt: memberships.createdAt })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(eq(memberships.tenantId, c.get('tenantId')))
        .orderBy(asc(memberships.createdAt));
      return c.json({ members: rows.map((r) => ({ ...r, joinedAt: r.joinedAt.getTime() })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/api/v1/members/{userId}',
      tags: ['organizations'],
      summary: "Change a member's role",
      ...guard('members:write'),
      request: { params: UserParam, body: { required: true, ...json(UpdateMemberBody) } },
      responses: { 200: { description: 'The member', ...json(z.object({ userId: z.string(), role: z.string() })) }, 409: errorDoc('Would leave the organization without an owner'), ...authErrors },
    }),
    async (c) => {
      const { userId } = c.req.valid('param');
      const { role } = c.req.valid('json');
      const tenantId = c.get('tenantId');
      await withDb(c.env, (db) =>
        db.transaction(async (tx) => {
          const m = await lockedMember(tx, tenantId, userId);
          checkOwnerChange(c, m.role, role);
          if (m.role === 'owner' && role !== 'owner' && (await ownerCount(tx, tenantId)) <= 1) throw conflict('the last owner cannot be demoted; make someone else owner first');
          await tx.update(memberships).set({ role }).where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)));
          await audit(tx, c, { action: 'member.role', target: { type: 'user', id: userId }, details: { from: m.role, to: role } });
        }),
      );
      return c.json({ userId, role }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/v1/members/{userId}',
      tags: ['organizations'],
      summary: 'Remove a member from the organization',
      ...guard('members:write'),
      request: { params: UserParam },
      responses: { 204: { description: 'Removed' }, 409: errorDoc('Would leave the organization without an owner'), ...authErrors },
    }),
    async (c) => {
      const { userId } = c.req.valid('param');
      const tenantId = c.get('tenantId');
      await withDb(c.env, (db) =>
        db.transaction(async (tx) => {
          const m = await lockedMember(tx, tenantId, userId);
          checkOwnerChange(c, m.role);
          if (m.role === 'owner' && (await ownerCount(tx, tenantId)) <= 1) throw conflict('the last owner cannot be removed');
          await tx.delete(memberships).where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId)));
          // Their sessions lose this organization at once (the role join finds nothing); clear the pointer too.
          await tx.update(sessions).set({ activeTenantId: null }).where(and(eq(sessions.userId, userId), eq(sessions.activeTenantId, tenantId)));
          await audit(tx, c, { action: 'member.remove', target: { type: 'user', id: userId }, details: { role: m.role } });
        }),
      );
      return c.body(null, 204);
    },
  );
}
