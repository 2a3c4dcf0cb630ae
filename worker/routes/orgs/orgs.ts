// Organizations: GET/POST /api/v1/orgs (the user's own), PATCH /api/v1/org (the active one).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import { CreateOrgBody, OrgMembership, UpdateOrgBody } from '../../../protocol/account.ts';
import { guard, sessionOnly } from '../../auth/authorize.ts';
import { audit } from '../../audit.ts';
import { httpDb, withDb } from '../../db/client.ts';
import { memberships, tenants } from '../../db/schema.ts';
import { addMember, createTenant } from '../../db/tenants.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, json } from '../schemas.ts';

const Org = z.object({ id: z.string(), name: z.string(), slug: z.string() });

export function registerOrgs(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({ method: 'get', path: '/api/v1/orgs', tags: ['organizations'], summary: "The user's organizations and roles", ...sessionOnly(), responses: { 200: { description: 'Organizations', ...json(z.object({ orgs: z.array(OrgMembership) })) }, ...authErrors } }),
    async (c) => {
      const orgs = await httpDb(c.env)
        .select({ id: tenants.id, name: tenants.name, slug: tenants.slug, role: memberships.role })
        .from(memberships)
        .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
        .where(eq(memberships.userId, c.get('session').userId))
        .orderBy(asc(memberships.createdAt));
      return c.json({ orgs }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/orgs',
      tags: ['organizations'],
      summary: 'Create an organization (you become its owner)',
      ...sessionOnly(),
      request: { body: { required: true, ...json(CreateOrgBody) } },
      responses: { 201: { description: 'Created', ...json(OrgMembership) }, ...authErrors },
    }),
    async (c) => {
      const { name } = c.req.valid('json');
      const org = await withDb(c.env, (db) =>
        db.transaction(async (tx) => {
          const org = await createTenant(tx, name);
          await addMember(tx, org.id, c.get('session').userId, 'owner');
          await audit(tx, c, { tenantId: org.id, action: 'org.create', target: { type: 'org', id: org.id }, details: { name } });
          return org;
        }),
      );
      return c.json({ ...org, role: 'owner' as const }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/api/v1/org',
      tags: ['organizations'],
      summary: 'Rename the active organization',
      ...guard('org:write'),
      request: { body: { required: true, ...json(UpdateOrgBody) } },
      responses: { 200: { description: 'The organization', ...json(Org) }, ...authErrors },
    }),
    async (c) => {
      const { name } = c.req.valid('json');
      const tenantId = c.get('tenantId');
      const org = await withDb(c.env, (db) =>
        db.transaction(async (tx) => {
          const [before] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId));
          const [org] = await tx.update(tenants).set({ name }).where(eq(tenants.id, tenantId)).returning({ id: tenants.id, name: tenants.name, slug: tenants.slug });
          await audit(tx, c, { action: 'org.rename', target: { type: 'org', id: tenantId }, details: { from: before?.name, to: name } });
          return org!;
        }),
      );
      return c.json(org, 200);
    },
  );
}
