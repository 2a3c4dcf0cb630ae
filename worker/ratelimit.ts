// Rate limiting with the Workers Rate Limiting bindings (limits: worker/limits.ts). The binding
// counts in fixed windows of `period` seconds aligned to the clock and says only yes or no, so
// Retry-After is the time left in the current window.
import type { Context } from 'hono';
import { ApiError } from './errors.ts';
import { RATE_LIMITS, type RateRule } from './limits.ts';
import type { AppEnv } from './types.ts';

/** Whole seconds until the current fixed window of `period` seconds ends (at least 1). */
export function retryAfterSeconds(period: number, now = Date.now()): number {
  const ms = period * 1000;
  return Math.max(1, Math.ceil((ms - (now % ms)) / 1000));
}

export function rateLimited(rule: RateRule, now = Date.now()): ApiError {
  const wait = retryAfterSeconds(rule.period, now);
  const window = rule.period === 60 ? 'minute' : `${rule.period} seconds`;
  return new ApiError(
    429,
    'rate_limited',
    `${rule.name} rate limit exceeded: ${rule.limit} ${rule.unit ?? 'requests'} per ${window} per ${rule.per}; retry in ${wait} s`,
    undefined,
    { 'retry-after': String(wait) },
  );
}

/**
 * Counts one request (or `counts` units, e.g. thousands of spans) against `rule` for `key` and
 * throws the 429 when over. If the limiter itself
 * fails, the request goes through (logged): a limiter outage must not take ingest down.
 */
/** RATE_LIMITS=off, honoured outside production only: the local benchmarks (docs/limits.md). */
export function rateLimitsOff(env: Env): boolean {
  return String(env.RATE_LIMITS) === 'off' && String(env.ENVIRONMENT) !== 'production';
}

export async function enforceRateLimit(env: Env, rule: RateRule, key: string, counts = 1): Promise<void> {
  if (rateLimitsOff(env)) return; // local benchmarks only
  let ok: boolean;
  try {
    const binding = env[rule.binding];
    const answers = await Promise.all(Array.from({ length: Math.max(1, counts) }, () => binding.limit({ key })));
    ok = answers.every((a) => a.success);
  } catch (err) {
    console.error(JSON.stringify({ msg: 'rate limiter unavailable; request allowed', binding: rule.binding, error: String(err) }));
    return;
  }
  if (!ok) throw rateLimited(rule);
}

const READS = new Set(['GET', 'HEAD']);

/**
 * The query API limit, per API key or per user, on reads. Runs after authentication (it needs
 * the actor), so `authorize` calls it rather than it being mounted on paths.
 */
export async function limitReads(c: Context<AppEnv>): Promise<void> {
  if (!READS.has(c.req.method)) return;
  const actor = c.get('actor');
  if (!actor?.id) return;
  await enforceRateLimit(c.env, RATE_LIMITS.query, `${actor.type}:${actor.id}`);
}

