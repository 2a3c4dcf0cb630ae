// The one matrix of who may do what (issue #5). Every route names one permission; a session is
// allowed what its role in the active organization grants, an API key what its scope grants.
// The site imports this too, to hide what the user cannot do (the server still checks).

export const ROLES = ['owner', 'admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const PERMISSIONS = [
  'metrics:ingest', // POST samples (agents, OTLP)
  'metrics:read', // current values, history, hosts, live sockets
  'alerts:read', // rules, channels (masked), silences, firing alerts
  'alerts:write', // create/edit/disable rules
  'silences:write',
  'channels:write', // notification channels hold secrets (webhook URLs, tokens)
  'keys:read',
  'keys:write',
  'members:read',
  'members:write', // invite, change roles, remove (never to or from owner)
  'owners:write', // grant or take the owner role
  'org:write', // rename the organization
  'audit:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const VIEWER: Permission[] = ['metrics:read', 'alerts:read', 'members:read'];
const EDITOR: Permission[] = [...VIEWER, 'alerts:write', 'silences:write'];
const ADMIN: Permission[] = [...EDITOR, 'channels:write', 'keys:read', 'keys:write', 'members:write', 'org:write', 'audit:read'];
const OWNER: Permission[] = [...ADMIN, 'owners:write'];

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set(OWNER),
  admin: new Set(ADMIN),
  editor: new Set(EDITOR),
  viewer: new Set(VIEWER),
};

export const SCOPE_PERMISSIONS: Record<Scope, ReadonlySet<Permission>> = {
  ingest: new Set(['metrics:ingest']),
  read: new Set(['metrics:read', 'alerts:read']),
  // An admin key automates what an admin does (but cannot touch members or owners: keys are not people).
  admin: new Set<Permission>(['metrics:ingest', ...ADMIN.filter((p) => p !== 'members:write')]),
};

export const roleCan = (role: Role, p: Permission) => ROLE_PERMISSIONS[role].has(p);
export const scopeCan = (scope: Scope, p: Permission) => SCOPE_PERMISSIONS[scope].has(p);
