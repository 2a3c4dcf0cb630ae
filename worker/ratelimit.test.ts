// Rate limits (worker/limits.ts) through the real routes and the Workers Rate Limiting bindings
// as Miniflare runs them in workerd: each limit is reached exactly, answered 429 with Retry-After,
// and counts only its own collector, key, account or address.
import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniq } from '../test/alert-helpers.ts';
import { batch, BASE, get, post, sample, seedTenant } from '../test/helpers.ts';
import { otlpTraces, postTraces } from '../test/otlp.ts';
import { otlpLogs, postOtlpLogs, postShipperLogs, searchLogs } from '../test/logs.ts';
import { Browser, newEmail, PASSWORD, signUp } from '../test/session.ts';
import { withDb } from './db/client.ts';
import { createApiKey } from './db/tenants.ts';
import { RATE_LIMITS, type RateRule } from './limits.ts';
import { enforceRateLimit, retryAfterSeconds } from './ratelimit.ts';

type Err = { error: { code: string; message: string } };
/** 600 reads take ~15 s on a busy machine, and twice that when a window edge forces a rerun. */
const SLOW = 120_000;

/**
 * The binding counts in clock-aligned windows. Runs `observe` and, if a window edge fell inside
 * it (the counts restarted half-way), once more with fresh keys; the second run starts at the
 * beginning of a window, so it cannot cross another edge.
 */
async function inOneWindow<T>(period: number, observe: (tag: string) => Promise<T>): Promise<T> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const window = () => Math.floor(Date.now() / (period * 1000));
    const start = window();
    const out = await observe(`${attempt}-${uniq()}`);
    if (window() === start) return out;
  }
  throw new Error('two window edges inside one test run');
}

/** Sends `n` requests `batch` at a time, in order; returns their statuses. */
async function statuses(n: number, send: (i: number) => Promise<Response>, parallel = 10): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i += parallel) {
    const res = await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, (_, j) => send(i + j)));
    for (const r of res) {
      out.push(r.status);
      await r.body?.cancel();
    }
  }
  return out;
}

async function expect429(res: Response, rule: RateRule) {
  const body = (await res.json()) as Err;
  expect(res.status, JSON.stringify(body)).toBe(429);
  expect(body.error.code).toBe('rate_limited');
  expect(body.error.message).toContain(`${rule.name} rate limit exceeded: ${rule.limit} requests per minute per ${rule.per}`);
  const wait = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(wait)).toBe(true);
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(wait).toBeLessThanOrEqual(rule.period);
  // The time left in the window, as the client was told (a second of slack for the clock tick).
  expect(Math.abs(wait - retryAfterSeconds(rule.period))).toBeLessThanOrEqual(1);
  expect(body.error.message).toContain(`retry in ${wait} s`);
  // The 429 carries the security headers like every answer.
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
}

describe('the limit values', () => {
  it('wrangler.toml configures each binding with the limit worker/limits.ts states', async () => {
    for (const rule of Object.values(RATE_LIMITS)) {
      const seen = await inOneWindow(rule.period, async (tag) => {
        const out: boolean[] = [];
        for (let i = 0; i <= rule.limit; i++) out.push((await env[rule.binding].limit({ key: `probe:${tag}` })).success);
        return out;
      });
      expect(seen.filter(Boolean).length, rule.binding).toBe(rule.limit);
      expect(seen.at(-1), rule.binding).toBe(false);
    }
  });

  it('RATE_LIMITS=off skips the limits only outside production', async () => {
    const rule = RATE_LIMITS.loginAccount;
    const run = async (vars: { ENVIRONMENT: string; RATE_LIMITS: string }) => {
      const e = { ...env, ...vars } as unknown as Env;
      const key = `switch:${uniq()}`;
      let refused = 0;
      for (let i = 0; i <= rule.limit; i++) await enforceRateLimit(e, rule, key).catch(() => refused++);
      return refused;
    };
    expect(await run({ ENVIRONMENT: 'development', RATE_LIMITS: 'off' })).toBe(0);
    expect(await run({ ENVIRONMENT: 'production', RATE_LIMITS: 'off' })).toBe(1);
    expect(await run({ ENVIRONMENT: 'test', RATE_LIMITS: 'on' })).toBe(1);
  });

  it('Retry-After is the rest of the fixed window, never 0', () => {
    expect(retryAfterSeconds(60, 120_000)).toBe(60);
    expect(retryAfterSeconds(60, 120_001)).toBe(60);
    expect(retryAfterSeconds(60, 179_000)).toBe(1);
    expect(retryAfterSeconds(60, 179_999)).toBe(1);
    expect(retryAfterSeconds(10, 125_500)).toBe(5);
  });
});

describe('ingest: per collector', () => {
  let a: Awaited<ReturnType<typeof seedTenant>>;
  let b: Awaited<ReturnType<typeof seedTenant>>;
  beforeAll(async () => {
    [a, b] = await Promise.all([seedTenant('Limits A'), seedTenant('Limits B')]);
  });

  it(`allows ${RATE_LIMITS.ingest.limit} requests a minute per host, then 429; other hosts and tenants go on`, async () => {
    const rule = RATE_LIMITS.ingest;
    const { codes, over, otherHost, otherTenant, host } = await inOneWindow(rule.period, async (tag) => {
      const host = `rl-${tag}`;
      const body = batch(host, [sample(Date.now(), 10)]); // one batch id: replays are cheap for the object
      const codes = await statuses(rule.limit, () => post(a.ingestKey, body));
      const over = await post(a.ingestKey, body);
      const otherHost = await post(a.ingestKey, batch(`${host}-2`, [sample(Date.now(), 10)]));
      const otherTenant = await post(b.ingestKey, batch(host, [sample(Date.now(), 10)])); // same host id, other tenant
      return { codes, over, otherHost, otherTenant, host };
    });
    expect(codes.every((s) => s === 200), JSON.stringify(codes)).toBe(true);
    await expect429(over, rule);
    expect(otherHost.status).toBe(200);
    expect(otherTenant.status).toBe(200);
    // The refused request never reached the object: one sample stored, the rest replays.
    const stats = await env.HOSTS.getByName(`${a.tenant.id}:${host}`).stats();
    expect(stats.rawSamples).toBe(1);
  });
});

describe('query API: per key or user', () => {
  it(`allows ${RATE_LIMITS.query.limit} reads a minute per key, then 429; another key of the same organization goes on`, async () => {
    const rule = RATE_LIMITS.query;
    const { codes, over, otherKey, ingestStill } = await inOneWindow(rule.period, async () => {
      const t = await seedTenant('Limits Q'); // fresh keys per attempt
      const second = await withDb(env, (db) => createApiKey(db, t.tenant.id, 'read'));
      const codes = await statuses(rule.limit, () => get(t.readKey, '/api/v1/hosts'), 20);
      const over = await get(t.readKey, '/api/v1/hosts');
      const otherKey = await get(second.secret, '/api/v1/hosts');
      const ingestStill = await post(t.ingestKey, batch(`q-${uniq()}`, [sample(Date.now(), 1)])); // writes are not reads
      return { codes, over, otherKey, ingestStill };
    });
    expect(codes.every((s) => s === 200), JSON.stringify(codes.filter((s) => s !== 200))).toBe(true);
    await expect429(over, rule);
    expect(otherKey.status).toBe(200);
    expect(ingestStill.status).toBe(200);
  }, SLOW);
});

describe('query API: per user, across their sessions', () => {
  it(`counts a user's reads from all their sessions together; another user goes on`, async () => {
    const rule = RATE_LIMITS.query;
    const read = (cookie: string) => SELF.fetch(`${BASE}/api/v1/hosts`, { headers: { cookie } });
    const { codes, over, otherUser } = await inOneWindow(rule.period, async () => {
      const email = newEmail('reader');
      const first = await signUp(email);
      const second = new Browser();
      expect((await second.call('POST', '/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(200);
      expect(second.cookie).not.toBe(first.cookie);
      const other = await signUp();
      const codes = await statuses(rule.limit, (i) => read((i % 2 ? first : second).cookie!), 20);
      const over = await read(first.cookie!);
      const otherUser = await read(other.cookie!);
      return { codes, over, otherUser };
    });
    expect(codes.every((s) => s === 200), JSON.stringify(codes.filter((s) => s !== 200))).toBe(true);
    await expect429(over, rule);
    expect(otherUser.status).toBe(200);
  }, SLOW);
});

describe('login: per account and per client address', () => {
  const login = (email: string, password: string, ip?: string) =>
    SELF.fetch(`${BASE}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(ip && { 'cf-connecting-ip': ip }) },
      body: JSON.stringify({ email, password }),
    });

  it(`allows ${RATE_LIMITS.loginAccount.limit} attempts a minute per account, then 429 even with the right password`, async () => {
    const rule = RATE_LIMITS.loginAccount;
    const { codes, over, otherAccount } = await inOneWindow(rule.period, async () => {
      const [victim, bystander] = [newEmail('victim'), newEmail('bystander')];
      await Promise.all([signUp(victim), signUp(bystander)]);
      const codes = await statuses(rule.limit, () => login(victim, 'wrong password!'), 5);
      const over = await login(victim, PASSWORD);
      const otherAccount = await login(bystander, PASSWORD);
      return { codes, over, otherAccount };
    });
    expect(codes.every((s) => s === 401), JSON.stringify(codes)).toBe(true);
    await expect429(over, rule);
    expect(otherAccount.status).toBe(200);
  });

  it(`allows ${RATE_LIMITS.loginIp.limit} attempts a minute per client IP across accounts, then 429; other addresses go on`, async () => {
    const rule = RATE_LIMITS.loginIp;
    const { codes, over, otherIp } = await inOneWindow(rule.period, async (tag) => {
      const ip = `2001:db8::${parseInt(uniq().slice(0, 4), 36).toString(16)}`;
      const email = newEmail(`ip-${tag}`);
      await signUp(email);
      // Different unknown accounts, each well under its own limit: only the address count trips.
      const codes = await statuses(rule.limit, (i) => login(newEmail(`spray${i}`), 'wrong password!', ip), 5);
      const over = await login(email, PASSWORD, ip);
      const otherIp = await login(email, PASSWORD, `${ip}:1`);
      return { codes, over, otherIp };
    });
    expect(codes.every((s) => s === 401), JSON.stringify(codes)).toBe(true);
    await expect429(over, rule);
    expect(otherIp.status).toBe(200);
  });
});

describe('OTLP spans: per organization, counted per thousand spans', () => {
  it(`allows ${RATE_LIMITS.spans.limit} thousand spans per ${RATE_LIMITS.spans.period} s, then 429 as a google.rpc.Status with Retry-After; another organization goes on`, async () => {
    const rule = RATE_LIMITS.spans;
    // Fresh organizations per attempt, made before: the 10 s window leaves no time for Postgres.
    const pairs = await Promise.all([0, 1].map(() => Promise.all([seedTenant('Spans A'), seedTenant('Spans B')])));
    let attempt = 0;
    const { last, over, other } = await inOneWindow(rule.period, async () => {
      const [t, u] = pairs[attempt++]!;
      // All but one count used up directly on the binding (600 requests would take long here).
      for (let i = 0; i < rule.limit - 1; i += 50) await Promise.all(Array.from({ length: Math.min(50, rule.limit - 1 - i) }, () => env.OTLP_LIMITER.limit({ key: t.tenant.id })));
      const body = otlpTraces('limited-svc', [{ route: '/a', durationMs: 1, end: Date.now() - 1000 }]);
      const last = await postTraces(t.ingestKey, body);
      const over = await postTraces(t.ingestKey, otlpTraces('limited-svc', [{ route: '/b', durationMs: 1, end: Date.now() - 1000 }]));
      const other = await postTraces(u.ingestKey, body);
      return { last, over, other };
    });
    expect(last.status).toBe(200);
    expect(other.status).toBe(200);
    expect(over.status).toBe(429);
    const status = (await over.json()) as { code: number; message: string };
    expect(status.code).toBe(8); // RESOURCE_EXHAUSTED
    expect(status.message).toContain(`span rate limit exceeded: ${rule.limit} thousand spans per 10 seconds per organization`);
    const wait = Number(over.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(rule.period);
  });
});

describe('log lines: per organization, counted per thousand lines, both log routes', () => {
  it(`allows ${RATE_LIMITS.logLines.limit} thousand lines per ${RATE_LIMITS.logLines.period} s, then 429 with Retry-After (JSON envelope and google.rpc.Status); another organization goes on`, async () => {
    const rule = RATE_LIMITS.logLines;
    const pairs = await Promise.all([0, 1].map(() => Promise.all([seedTenant('Lines A'), seedTenant('Lines B')])));
    let attempt = 0;
    const { t, last, over, overOtlp, other } = await inOneWindow(rule.period, async () => {
      const [t, u] = pairs[attempt++]!;
      // All but one count used up directly on the binding (600 requests would take long here).
      for (let i = 0; i < rule.limit - 1; i += 50) await Promise.all(Array.from({ length: Math.min(50, rule.limit - 1 - i) }, () => env.LOG_LIMITER.limit({ key: t.tenant.id })));
      const last = await postShipperLogs(t.ingestKey, '"the last line allowed"');
      const over = await postShipperLogs(t.ingestKey, '"one line too many"');
      const overOtlp = await postOtlpLogs(t.ingestKey, otlpLogs('limited', [{ time: Date.now(), body: 'one record too many' }]));
      const other = await postShipperLogs(u.ingestKey, '"another organization"');
      return { t, last, over, overOtlp, other };
    });
    expect(last.status).toBe(200);
    expect(other.status).toBe(200);
    const body = (await over.json()) as Err;
    expect(over.status).toBe(429);
    expect(body.error.message).toContain(`log line rate limit exceeded: ${rule.limit} thousand log lines per 10 seconds per organization`);
    const wait = Number(over.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(rule.period);
    expect(overOtlp.status).toBe(429);
    expect(((await overOtlp.json()) as { code: number }).code).toBe(8); // RESOURCE_EXHAUSTED
    expect(overOtlp.headers.get('retry-after')).toBeTruthy();
    // Nothing of a refused request is stored.
    expect((await searchLogs(t.readKey, {})).lines.map((l) => l.message)).toEqual(['the last line allowed']);
  });
});

describe('sign-up: per email and per client address', () => {
  const signup = (email: string, ip?: string) =>
    SELF.fetch(`${BASE}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(ip && { 'cf-connecting-ip': ip }) },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
  const ipFor = () => `2001:db8:5::${parseInt(uniq().slice(0, 4), 36).toString(16)}`;

  it(`allows ${RATE_LIMITS.signupEmail.limit} sign-ups a minute per email, new or taken alike, then 429`, async () => {
    const rule = RATE_LIMITS.signupEmail;
    // One taken address per attempt: a retried attempt (a window edge in the first) must not
    // find the first attempt's sign-ups of the same address already counted in its window.
    const takens = [(await signUp(newEmail('su-taken'))).me!.user.email, (await signUp(newEmail('su-taken'))).me!.user.email];
    const { fresh, existing, overFresh, overTaken, other } = await inOneWindow(rule.period, async (tag) => {
      const taken = takens[Number(tag.split('-')[0])]!;
      const email = newEmail(`su-${tag}`);
      const fresh = await statuses(rule.limit, () => signup(email), 1);
      const overFresh = await signup(email);
      // The owner's own sign-up may have counted in this window already: the last of limit + 1 is over either way.
      const existing = await statuses(rule.limit - 1, () => signup(taken), 1);
      const overTaken = await statuses(2, () => signup(taken), 1);
      const other = await signup(newEmail(`su-other-${tag}`));
      return { fresh, existing, overFresh, overTaken, other };
    });
    expect(fresh.every((s) => s === 202), JSON.stringify(fresh)).toBe(true);
    expect(existing.every((s) => s === 202), JSON.stringify(existing)).toBe(true);
    await expect429(overFresh, rule);
    expect(overTaken.at(-1)).toBe(429);
    expect(other.status).toBe(202);
  });

  it(`allows ${RATE_LIMITS.signupIp.limit} sign-ups a minute per client address across emails, then 429; other addresses go on`, async () => {
    const rule = RATE_LIMITS.signupIp;
    const { codes, over, otherIp } = await inOneWindow(rule.period, async (tag) => {
      const ip = ipFor();
      const codes = await statuses(rule.limit, (i) => signup(newEmail(`su-ip${i}-${tag}`), ip), 5);
      const over = await signup(newEmail(`su-over-${tag}`), ip);
      const otherIp = await signup(newEmail(`su-over-${tag}`), `${ip}:1`);
      return { codes, over, otherIp };
    });
    expect(codes.every((s) => s === 202), JSON.stringify(codes)).toBe(true);
    await expect429(over, rule);
    expect(otherIp.status).toBe(202);
  });

  it('counts no address for a request without CF-Connecting-IP (one that came neither through the edge nor wrangler dev)', async () => {
    const rule = RATE_LIMITS.signupIp;
    const codes = await statuses(rule.limit + 5, (i) => signup(newEmail(`su-noip${i}`)), 5);
    expect(codes.every((s) => s === 202), JSON.stringify(codes)).toBe(true);
  });
});
