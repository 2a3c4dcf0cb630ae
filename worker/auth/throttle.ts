// Login and sign-up throttling (issues #5, #11): attempts per email and per client address
// (limits: worker/limits.ts). Every attempt counts, right or wrong, new address or taken, so the
// answer reveals neither a right password nor whether an account exists.
import type { Context } from 'hono';
import { RATE_LIMITS, type RateRule } from '../limits.ts';
import { enforceRateLimit } from '../ratelimit.ts';
import type { AppEnv } from '../types.ts';
import { sha256Hex } from './crypto.ts';
import { clientIp } from './session.ts';

/**
 * Throws the 429 (with Retry-After) when this client address or this email has used up its
 * attempts. The address is `CF-Connecting-IP`: Cloudflare's edge always sets it (a client cannot
 * forge or remove it there). Under `wrangler dev` the local runtime fills in the connecting
 * socket's address when a request has none (127.0.0.1 for every local client, which then share
 * one count) and keeps one a client sends. A request without it (workers tests calling the
 * worker directly) has no per-address count. The email is hashed so the limiter never sees it.
 */
async function throttle(c: Context<AppEnv>, byIp: RateRule, byEmail: RateRule, email: string): Promise<void> {
  // The address first: a client over its own limit then no longer uses up an email's attempts.
  const ip = clientIp(c);
  if (ip) await enforceRateLimit(c.env, byIp, `ip:${ip}`);
  await enforceRateLimit(c.env, byEmail, `account:${await sha256Hex(email.trim().toLowerCase())}`);
}

/** Before the password is checked. */
export const throttleLogin = (c: Context<AppEnv>, email: string) => throttle(c, RATE_LIMITS.loginIp, RATE_LIMITS.loginAccount, email);

/** Before anything else of a sign-up: it costs a password hash and may send an email. */
export const throttleSignup = (c: Context<AppEnv>, email: string) => throttle(c, RATE_LIMITS.signupIp, RATE_LIMITS.signupEmail, email);
