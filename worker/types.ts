import type { Role } from '../protocol/roles.ts';

/** Who made a request: recorded in the audit log. */
export interface Actor {
  type: 'user' | 'key' | 'system';
  id: string | null;
  /** An email for users, a key's prefix for keys. */
  label: string | null;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    tenantId: string;
    keyId: string;
    actor: Actor;
    /** Set for cookie sessions only. */
    session: { id: string; userId: string; email: string; activeTenantId: string | null; role: Role | null; csrfToken: string };
  };
}

export const hostObjectName = (tenantId: string, hostId: string) => `${tenantId}:${hostId}`;
export const serviceObjectName = (tenantId: string, service: string) => `${tenantId}:${service}`;
