// Shapes of the account, organization, key and audit API (issue #5), shared by the worker's
// routes (validation and OpenAPI) and the site. Cookie sessions: see docs/auth.md.
import { z } from 'zod';
import { ROLES, SCOPES } from './roles.ts';

export const SESSION_COOKIE = 'pulse_session';
/** Cookie-authenticated state changes must echo the session's CSRF token in this header. */
export const CSRF_HEADER = 'x-csrf-token';

export const Email = z.string().trim().toLowerCase().max(254).email('must be an email address');
export const Password = z.string().min(10, 'must be at least 10 characters').max(200, 'must be at most 200 characters');
export const Role = z.enum(ROLES);
export const Scope = z.enum(SCOPES);

export const SignupBody = z.strictObject({
  email: Email,
  password: Password,
  name: z.string().trim().min(1).max(100).optional(),
  orgName: z.string().trim().min(1).max(100).optional(),
});
/** The answer to every accepted sign-up, for a new address and a taken one alike (docs/auth.md). */
export const SignupPending = z.object({ status: z.literal('check_email'), email: z.string() });
export type SignupPending = z.infer<typeof SignupPending>;
/** Finishes a sign-up: the emailed token and the password chosen at sign-up. */
export const SignupConfirmBody = z.strictObject({ token: z.string().min(10).max(200), password: z.string().min(1).max(200) });
export const LoginBody = z.strictObject({ email: Email, password: z.string().min(1).max(200) });
export const TokenBody = z.strictObject({ token: z.string().min(10).max(200) });
export const ResetRequestBody = z.strictObject({ email: Email });
export const ResetConfirmBody = z.strictObject({ token: z.string().min(10).max(200), password: Password });
export const SwitchOrgBody = z.strictObject({ orgId: z.string().min(1).max(64) });

export const User = z.object({ id: z.string(), email: z.string(), name: z.string().nullable(), emailVerified: z.boolean() });
export const OrgMembership = z.object({ id: z.string(), name: z.string(), slug: z.string(), role: Role });

/** GET /api/v1/auth/me, and the answer of signup, login and switch-org. */
export const Me = z.object({
  user: User,
  orgs: z.array(OrgMembership),
  activeOrgId: z.string().nullable(),
  /** Echo in the x-csrf-token header on every cookie-authenticated POST/PATCH/PUT/DELETE. */
  csrfToken: z.string(),
});
export type Me = z.infer<typeof Me>;

export const CreateOrgBody = z.strictObject({ name: z.string().trim().min(1).max(100) });
export const UpdateOrgBody = z.strictObject({ name: z.string().trim().min(1).max(100) });

export const Member = z.object({ userId: z.string(), email: z.string(), name: z.string().nullable(), role: Role, joinedAt: z.number() });
export const UpdateMemberBody = z.strictObject({ role: Role });
export const InviteBody = z.strictObject({ email: Email, role: Role });
export const Invitation = z.object({ id: z.string(), email: z.string(), role: Role, invitedBy: z.string().nullable(), createdAt: z.number(), expiresAt: z.number() });

export const CreateKeyBody = z.strictObject({ name: z.string().trim().min(1).max(100), scope: Scope });
export const ApiKeySummary = z.object({
  id: z.string(),
  name: z.string(),
  scope: Scope,
  /** The first characters of the key, enough to recognise it; the rest is never shown again. */
  prefix: z.string(),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
});
/** Only the creation answer carries `key`, once. */
export const CreatedApiKey = ApiKeySummary.extend({ key: z.string() });

export const AuditEntry = z.object({
  id: z.string(),
  ts: z.number(),
  actor: z.object({ type: z.enum(['user', 'key', 'system']), id: z.string().nullable(), label: z.string().nullable() }),
  action: z.string(), // e.g. "key.create", "member.role", "rule.update"
  target: z.object({ type: z.string(), id: z.string().nullable() }),
  details: z.record(z.string(), z.unknown()),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;
