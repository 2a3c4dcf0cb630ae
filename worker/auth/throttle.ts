// Login throttling (issue #5): attempts per account and per client IP (limits: worker/limits.ts).
// Every attempt counts, right or wrong, so the answer does not reveal whether a password was right.
import type { Context } from 'hono';
import { RATE_LIMITS } from '../limits.ts';
import { enforceRateLimit } from '../ratelimit.ts';
import type { AppEnv } from '../types.ts';
import { sha256Hex } from './crypto.ts';
import { clientIp } from './session.ts';

/**
 * Throws the 429 (with Retry-After) when this email or this client address has used up its
 * attempts. Call before checking the password. The email is hashed so the limiter never sees it.
 * Cloudflare's edge always sets CF-Connecting-IP (a client cannot forge or remove it); a request
 * without it did not come through the edge (local dev, tests) and has no per-IP count.
 */
export async function throttleLogin(c: Context<AppEnv>, email: string): Promise<void> {
  // The address first: a client over its own limit then no longer uses up an account's attempts.
  const ip = clientIp(c);
  if (ip) await enforceRateLimit(c.env, RATE_LIMITS.loginIp, `ip:${ip}`);
  await enforceRateLimit(c.env, RATE_LIMITS.loginAccount, `account:${await sha256Hex(email.trim().toLowerCase())}`);
}
