// GET /api/v1/audit: the organization's audit log, newest first, paged by id.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, desc, eq, lt } from 'drizzle-orm';
import { AuditEntry } from '../../../protocol/account.ts';
import { guard } from '../../auth/authorize.ts';
import { httpDb } from '../../db/client.ts';
import { auditLog } from '../../db/schema.ts';
import type { AppEnv } from '../../types.ts';
import { authErrors, json } from '../schemas.ts';

const Query = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().positive().optional().openapi({ description: 'The `next` of the previous page' }),
});

export function registerAudit(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/audit',
      tags: ['audit'],
      summary: 'Who changed what, when and from where (newest first)',
      ...guard('audit:read'),
      request: { query: Query },
      responses: { 200: { description: 'Entries', ...json(z.object({ entries: z.array(AuditEntry), next: z.number().nullable() })) }, ...authErrors },
    }),
    async (c) => {
      const { limit, before } = c.req.valid('query');
      const tenantId = c.get('tenantId');
      const rows = await httpDb(c.env)
        .select()
        .from(auditLog)
        .where(before ? and(eq(auditLog.tenantId, tenantId), lt(auditLog.id, before)) : eq(auditLog.tenantId, tenantId))
        .orderBy(desc(auditLog.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      return c.json(
        {
          entries: page.map((r) => ({
            id: String(r.id),
            ts: r.ts.getTime(),
            actor: { type: r.actorType, id: r.actorId, label: r.actorLabel },
            action: r.action,
            target: { type: r.targetType, id: r.targetId },
            details: r.details,
            ip: r.ip,
            userAgent: r.userAgent,
          })),
          next: rows.length > limit ? page[page.length - 1]!.id : null,
        },
        200,
      );
    },
  );
}
