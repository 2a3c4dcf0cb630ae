// Cookie sessions (docs/auth.md). The cookie holds a random token; Postgres holds its SHA-256, the
// user, the active organization and the CSRF token that cookie-authenticated writes must echo.
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { and, eq, gt } from 'drizzle-orm';
import { SESSION_COOKIE } from '../../protocol/account.ts';
import type { Role } from '../../protocol/roles.ts';
import { httpDb } from '../db/client.ts';
import { memberships, sessions, users } from '../db/schema.ts';
import type { AnyPg } from '../db/tenants.ts';
import type { AppEnv } from '../types.ts';
import { newId, randomToken, sha256Hex } from './crypto.ts';

export const SESSION_TTL_MS = 14 * 86_400_000;

export interface LoadedSession {
  id: string;
  userId: string;
  email: string;
  activeTenantId: string | null;
  role: Role | null;
  csrfToken: string;
}

export const clientIp = (c: Context) => c.req.header('cf-connecting-ip') ?? null;
const userAgent = (c: Context) => c.req.header('user-agent')?.slice(0, 300) ?? null;

/** Creates a session row and sets its cookie. */
export async function startSession(c: Context<AppEnv>, db: AnyPg, userId: string, activeTenantId: string | null) {
  const token = randomToken(43);
  const csrfToken = randomToken(32);
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.insert(sessions).values({
    id: newId('ses'),
    tokenHash: await sha256Hex(token),
    userId,
    activeTenantId,
    csrfToken,
    expiresAt,
    ip: clientIp(c),
    userAgent: userAgent(c),
  });
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    secure: true, // browsers treat http://localhost as secure, so dev works too
    sameSite: 'Lax',
    path: '/',
    expires: expiresAt,
  });
  return { csrfToken };
}

export function clearSessionCookie(c: Context) {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
}

/** The session named by the request's cookie, with the user's role in its active organization. */
export async function loadSession(c: Context<AppEnv>): Promise<LoadedSession | null> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token || token.length > 100) return null;
  const hash = await sha256Hex(token);
  // One statement, so over the HTTP query endpoint: no Postgres connection per request. Not
  // cached: a logout, a removed membership or a role change takes effect on the next request.
  return findSession(httpDb(c.env), hash);
}

async function findSession(db: AnyPg, tokenHash: string): Promise<LoadedSession | null> {
  const rows = await db
    .select({
      id: sessions.id,
      userId: sessions.userId,
      email: users.email,
      activeTenantId: sessions.activeTenantId,
      csrfToken: sessions.csrfToken,
      role: memberships.role,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    // A membership removed since the session began yields role null: no access to that org.
    .leftJoin(memberships, and(eq(memberships.userId, sessions.userId), eq(memberships.tenantId, sessions.activeTenantId)))
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, new Date())))
    .limit(1);
  return rows[0] ?? null;
}
