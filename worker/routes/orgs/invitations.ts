// Invitations: an admin invites an email with a role; the link (7 days, once) lets the logged-in
// user with that email join. Only the token's hash is stored.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { Invitation, InviteBody, Me, TokenBody } from '../../../protocol/account.ts';
import { guard, sessionOnly } from '../../auth/authorize.ts';
import { newId, randomToken, sha256Hex } from '../../auth/crypto.ts';
import { audit } from '../../audit.ts';
import { httpDb, withDb } from '../../db/client.ts';
import { invitations, memberships, sessions, tenants, users } from '../../db/schema.ts';
import { ApiError } from '../../errors.ts';
import { appUrl, queueAccountEmail } from '../../notify/email.ts';
import type { AppEnv } from '../../types.ts';
import { buildMe } from '../auth/me.ts';
import { authErrors, errorDoc, json } from '../schemas.ts';
import { checkOwnerChange } from './members.ts';

export const INVITE_TTL_MS = 7 * 86_400_000;
const IdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) });
type Row = typeof invitations.$inferSelect;
const toJson = (r: Row) => ({ id: r.id, email: r.email, role: r.role, invitedBy: r.invitedBy, createdAt: r.createdAt.getTime(), expiresAt: r.expiresAt.getTime() });

export function registerInvitations(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ method: 'get', path: '/api/v1/invitations', tags: ['organizations'], summary: 'Pending invitations', ...guard('members:read'), responses: { 200: { description: 'Invitations', ...json(z.object({ invitations: z.array(Invitation) })) }, ...authErrors } }),
    async (c) => {
      const rows = await httpDb(c.env)
        .select()
        .from(invitations)
        .where(and(eq(invitations.tenantId, c.get('tenantId')), isNull(invitations.acceptedAt), gt(invitations.expiresAt, new Date())))
        .orderBy(desc(invitations.createdAt));
      return c.json({ invitations: rows.map(toJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/invitations',
      tags: ['organizations'],
      summary: 'Invite someone by email with a role',
      ...guard('members:write'),
      request: { body: { required: true, ...json(InviteBody) } },
      responses: { 201: { description: 'Invited', ...json(Invitation) }, 409: errorDoc('Already a member'), ...authErrors },
    }),
    async (c) => {
      const { email, role } = c.req.valid('json');
      checkOwnerChange(c, role);
      const tenantId = c.get('tenantId');
      const token = randomToken(40);
      const { row, orgName } = await withDb(c.env, (db) =>
        db.transaction(async (tx) => {
          const [member] = await tx
            .select({ id: users.id })
            .from(memberships)
            .innerJoin(users, eq(users.id, memberships.userId))
            .where(and(eq(memberships.tenantId, tenantId), eq(users.email, email)));
          if (member) throw new ApiError(409, 'conflict', `${email} is already a member`, 'email');
          const [row] = await tx
            .insert(invitations)
            .values({ id: newId('inv'), tenantId, email, role, tokenHash: await sha256Hex(token), invitedBy: c.get('session')?.userId ?? null, expiresAt: new Date(Date.now() + INVITE_TTL_MS) })
            .returning();
          const [org] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId));
          await audit(tx, c, { action: 'invitation.create', target: { type: 'invitation', id: row!.id }, details: { email, role } });
          return { row: row!, orgName: org?.name ?? 'an organization' };
        }),
      );
      queueAccountEmail(c, {
        to: email,
        subject: `You are invited to ${orgName} on Pulse Monitor`,
        text: `${c.get('actor').label ?? 'An administrator'} invited you to join ${orgName} as ${role}.\n\nLog in or sign up with this email address, then open this link (valid for 7 days, once):\n\n${appUrl(c, `/invite?token=${token}`)}`,
      });
      return c.json(toJson(row), 201);
    },
  );

  app.openapi(
    createRoute({ method: 'delete', path: '/api/v1/invitations/{id}', tags: ['organizations'], summary: 'Withdraw an invitation', ...guard('members:write'), request: { params: IdParam }, responses: { 204: { description: 'Withdrawn' }, ...authErrors } }),
    async (c) => {
      const { id } = c.req.valid('param');
      await withDb(c.env, (db) =>
        db.transaction(async (tx) => {
          const gone = await tx.delete(invitations).where(and(eq(invitations.id, id), eq(invitations.tenantId, c.get('tenantId')), isNull(invitations.acceptedAt))).returning({ email: invitations.email });
          if (!gone.length) throw new ApiError(404, 'not_found', `no pending invitation "${id}" in this organization`, 'id');
          await audit(tx, c, { action: 'invitation.delete', target: { type: 'invitation', id }, details: { email: gone[0]!.email } });
        }),
      );
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/invitations/accept',
      tags: ['organizations'],
      summary: 'Join the organization of an invitation (the logged-in email must be the invited one)',
      ...sessionOnly(),
      request: { body: { required: true, ...json(TokenBody) } },
      responses: { 200: { description: 'Joined; the organization is now active', ...json(Me) }, ...authErrors },
    }),
    async (c) => {
      const { token } = c.req.valid('json');
      const s = c.get('session');
      const me = await withDb(c.env, (db) =>
        db.transaction(async (tx) => {
          const [inv] = await tx
            .update(invitations)
            .set({ acceptedAt: new Date() })
            .where(and(eq(invitations.tokenHash, await sha256Hex(token)), isNull(invitations.acceptedAt), gt(invitations.expiresAt, new Date()), eq(invitations.email, s.email)))
            .returning();
          if (!inv) throw new ApiError(400, 'invalid_token', 'this invitation is invalid, expired, already used, or for another email address', 'token');
          await tx.insert(memberships).values({ tenantId: inv.tenantId, userId: s.userId, role: inv.role }).onConflictDoNothing();
          await tx.update(sessions).set({ activeTenantId: inv.tenantId }).where(eq(sessions.id, s.id));
          await audit(tx, c, { tenantId: inv.tenantId, action: 'member.join', target: { type: 'user', id: s.userId }, details: { role: inv.role, invitation: inv.id } });
          return buildMe(tx, s.userId, inv.tenantId, s.csrfToken);
        }),
      );
      return c.json(me, 200);
    },
  );
}
