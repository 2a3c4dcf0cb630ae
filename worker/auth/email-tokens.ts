// Single-use, expiring links (email verification, password reset). Only the token's SHA-256 is
// stored; consuming is one conditional UPDATE, so two clicks cannot both succeed.
import { and, eq, gt, isNull } from 'drizzle-orm';
import { emailTokens } from '../db/schema.ts';
import type { AnyPg } from '../db/tenants.ts';
import { randomToken, sha256Hex } from './crypto.ts';

export type TokenPurpose = 'verify' | 'reset';
export const TOKEN_TTL_MS: Record<TokenPurpose, number> = { verify: 24 * 3600_000, reset: 3600_000 };

/** At most one email link per account and purpose per this period (nobody's inbox gets flooded). */
export const EMAIL_COOLDOWN_MS = 60_000;

/** True when a link of this purpose went to the user within the cooldown. */
export async function recentlyIssued(db: AnyPg, userId: string, purpose: TokenPurpose, now = Date.now()): Promise<boolean> {
  const rows = await db
    .select({ at: emailTokens.createdAt })
    .from(emailTokens)
    .where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose), gt(emailTokens.createdAt, new Date(now - EMAIL_COOLDOWN_MS))))
    .limit(1);
  return rows.length > 0;
}

export async function issueEmailToken(db: AnyPg, userId: string, purpose: TokenPurpose, now = Date.now()): Promise<string> {
  const token = randomToken(40);
  await db.insert(emailTokens).values({ tokenHash: await sha256Hex(token), userId, purpose, expiresAt: new Date(now + TOKEN_TTL_MS[purpose]) });
  return token;
}

/** The user the token belongs to if it is unused and unexpired (and marks it used); else null. */
export async function consumeEmailToken(db: AnyPg, token: string, purpose: TokenPurpose): Promise<string | null> {
  const rows = await db
    .update(emailTokens)
    .set({ usedAt: new Date() })
    .where(and(eq(emailTokens.tokenHash, await sha256Hex(token)), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt), gt(emailTokens.expiresAt, new Date())))
    .returning({ userId: emailTokens.userId });
  return rows[0]?.userId ?? null;
}
