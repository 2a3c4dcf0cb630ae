// Authorization for every route, from the one matrix in protocol/roles.ts (issue #5). A request
// is either key-authenticated (`Authorization: Bearer`) or cookie-authenticated (a session in
// its active organization). Cookie-authenticated writes must pass the CSRF check.
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { CSRF_HEADER } from '../../protocol/account.ts';
import { roleCan, scopeCan, type Permission } from '../../protocol/roles.ts';
import { ApiError } from '../errors.ts';
import { limitReads } from '../ratelimit.ts';
import type { AppEnv } from '../types.ts';
import { timingSafeEqual } from './crypto.ts';
import { lookupKey } from './keys.ts';
import { loadSession, type LoadedSession } from './session.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const unauthorized = () => new ApiError(401, 'unauthorized', 'log in, or send "Authorization: Bearer <api key>"', 'authorization');

async function keyAuth(c: Context<AppEnv>, header: string, permission: Permission | null) {
  const m = /^Bearer\s+(\S{1,200})$/i.exec(header);
  if (!m) throw new ApiError(401, 'unauthorized', 'the Authorization header must be "Bearer <api key>"', 'authorization');
  const key = await lookupKey(c.env, c.executionCtx, m[1]!);
  if (!key) throw new ApiError(401, 'unauthorized', 'invalid or revoked API key', 'authorization');
  if (permission === null) throw new ApiError(403, 'forbidden', 'this endpoint needs a logged-in user, not an API key', 'authorization');
  if (!scopeCan(key.scope, permission)) throw new ApiError(403, 'forbidden', `a ${key.scope} key cannot do this; it needs the ${permission} permission`, 'authorization');
  c.set('tenantId', key.tenantId);
  c.set('keyId', key.id);
  c.set('actor', { type: 'key', id: key.id, label: key.prefix });
}

/** The CSRF defence for cookie-authenticated writes: a same-origin Origin and the session's token. */
function checkCsrf(c: Context<AppEnv>, session: LoadedSession) {
  if (SAFE_METHODS.has(c.req.method)) return;
  const origin = c.req.header('origin');
  if (origin && origin !== new URL(c.req.url).origin) throw new ApiError(403, 'csrf', 'cross-site request refused', 'origin');
  const token = c.req.header(CSRF_HEADER) ?? '';
  if (!timingSafeEqual(token, session.csrfToken))
    throw new ApiError(403, 'csrf', `missing or wrong ${CSRF_HEADER} header (it is in GET /api/v1/auth/me)`, CSRF_HEADER);
}

async function sessionAuth(c: Context<AppEnv>, permission: Permission | null): Promise<LoadedSession> {
  const session = await loadSession(c);
  if (!session) throw unauthorized();
  checkCsrf(c, session);
  c.set('session', session);
  c.set('actor', { type: 'user', id: session.userId, label: session.email });
  if (permission !== null) {
    if (!session.activeTenantId || !session.role) throw new ApiError(403, 'forbidden', 'you are not a member of an organization; create one or accept an invitation', 'organization');
    if (!roleCan(session.role, permission)) throw new ApiError(403, 'forbidden', `the ${session.role} role cannot do this; it needs the ${permission} permission`, 'role');
    c.set('tenantId', session.activeTenantId);
  }
  return session;
}

/** Allows a session whose role, or a key whose scope, grants `permission`. */
export const authorize = (permission: Permission) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    if (header) await keyAuth(c, header, permission);
    else await sessionAuth(c, permission);
    await limitReads(c); // the query API limit, per key or user (worker/limits.ts)
    await next();
  });

/** Allows any logged-in user, whatever their organization (e.g. /auth/me, creating an org). */
export const requireSession = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    if (header) await keyAuth(c, header, null);
    else await sessionAuth(c, null);
    await next();
  });

/**
 * Spread into createRoute(): the middleware, the security note, and `x-permission`, which the
 * role and tenant-isolation tests read from the OpenAPI document to cover every route.
 */
const BEARER_OR_SESSION: Record<string, string[]>[] = [{ bearer: [] }, { session: [] }];
const SESSION: Record<string, string[]>[] = [{ session: [] }];
export const guard = (permission: Permission) => ({
  middleware: authorize(permission),
  security: BEARER_OR_SESSION,
  'x-permission': permission,
});
export const sessionOnly = () => ({
  middleware: requireSession(),
  security: SESSION,
  'x-permission': 'session' as const,
});
/** For routes anyone may call (sign-up, health, …); still marked so the tests see every route. */
export const publicRoute = { 'x-permission': 'public' as const };
