// Creating organizations, users and API keys. Used by the API, by `npm run dev`'s seed and by tests.
import { and, eq, isNull } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { newId, randomToken, sha256Hex } from '../auth/crypto.ts';
import { hashPassword } from '../auth/password.ts';
import { insertDefaultRules } from './alerts.ts';
import { apiKeys, memberships, tenants, users, type KeyScope } from './schema.ts';

// Any drizzle Postgres database: neon-serverless in workerd, node-postgres in scripts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPg = PgDatabase<PgQueryResultHKT, any>;

export const KEY_PREFIX = 'mk_';

export async function createTenant(db: AnyPg, name: string, slug?: string) {
  const id = newId('org');
  const s = slug ?? `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'org'}-${randomToken(6).toLowerCase()}`;
  await db.insert(tenants).values({ id, name, slug: s });
  await insertDefaultRules(db, id); // spec §3.3: every organization starts with the default rules
  return { id, name, slug: s };
}

export async function createUser(db: AnyPg, email: string, password: string, name?: string) {
  const id = newId('usr');
  await db.insert(users).values({ id, email: email.toLowerCase(), passwordHash: await hashPassword(password), name: name ?? null });
  return { id, email: email.toLowerCase() };
}

export async function addMember(db: AnyPg, tenantId: string, userId: string, role: 'owner' | 'admin' | 'editor' | 'viewer') {
  await db.insert(memberships).values({ tenantId, userId, role });
}

/** Creates a key and returns its secret once; only its SHA-256 is stored. */
export async function createApiKey(db: AnyPg, tenantId: string, scope: KeyScope, name = `${scope} key`) {
  const secret = `${KEY_PREFIX}${scope}_${randomToken(32)}`;
  const id = newId('key');
  const prefix = secret.slice(0, KEY_PREFIX.length + scope.length + 1 + 6);
  await db.insert(apiKeys).values({ id, tenantId, name, prefix, hash: await sha256Hex(secret), scope });
  return { id, secret, prefix, scope };
}

/** The live key with this hash; `touch` also records the use (one statement either way). */
export async function findKeyByHash(db: AnyPg, hash: string, touch = false) {
  const cols = { id: apiKeys.id, tenantId: apiKeys.tenantId, scope: apiKeys.scope, prefix: apiKeys.prefix };
  const where = and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt));
  const rows = touch
    ? await db.update(apiKeys).set({ lastUsedAt: new Date() }).where(where).returning(cols)
    : await db.select(cols).from(apiKeys).where(where).limit(1);
  return rows[0] ?? null;
}

export async function revokeApiKey(db: AnyPg, tenantId: string, id: string) {
  await db.update(apiKeys).set({ revokedAt: new Date() }).where(and(eq(apiKeys.id, id), eq(apiKeys.tenantId, tenantId)));
}
