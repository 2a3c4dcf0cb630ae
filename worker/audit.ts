// The audit log (issue #5): every change to keys, members, roles, invitations, the organization,
// rules, channels and silences records who, what, when and from where. Written with the caller's
// database handle, inside the transaction of the change, so a change is never unrecorded.
import type { Context } from 'hono';
import { auditLog } from './db/schema.ts';
import type { AnyPg } from './db/tenants.ts';
import { clientIp } from './auth/session.ts';
import type { AppEnv } from './types.ts';

export interface AuditEvent {
  action: string; // "<target>.<verb>", e.g. key.create, member.role
  target: { type: string; id: string | null };
  /** Never key material, passwords or channel secrets: callers pass names, scopes, roles. */
  details?: Record<string, unknown>;
  /** Defaults to the request's tenant. */
  tenantId?: string;
}

export async function audit(db: AnyPg, c: Context<AppEnv>, e: AuditEvent) {
  const actor = c.get('actor') ?? { type: 'system', id: null, label: null };
  await db.insert(auditLog).values({
    tenantId: e.tenantId ?? c.get('tenantId'),
    actorType: actor.type,
    actorId: actor.id,
    actorLabel: actor.label,
    action: e.action,
    targetType: e.target.type,
    targetId: e.target.id,
    details: e.details ?? {},
    ip: clientIp(c),
    userAgent: c.req.header('user-agent')?.slice(0, 300) ?? null,
  });
}
