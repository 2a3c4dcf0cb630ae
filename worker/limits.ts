// Every request limit of the service in one place (reasons: docs/limits.md). Rate limits are
// enforced by the Workers Rate Limiting bindings named here; wrangler.toml declares each binding
// with the same limit and period (the binding cannot report its own configuration, so
// worker/ratelimit.test.ts checks that the two agree).
import { APM_LIMITS } from '../protocol/apm.ts';
import { LIMITS as INGEST_LIMITS } from '../protocol/ingest.ts';

export interface RateRule {
  /** The wrangler.toml [[ratelimits]] binding that counts this rule. */
  binding: 'INGEST_LIMITER' | 'QUERY_LIMITER' | 'LOGIN_ACCOUNT_LIMITER' | 'LOGIN_IP_LIMITER' | 'SIGNUP_EMAIL_LIMITER' | 'SIGNUP_IP_LIMITER' | 'OTLP_LIMITER' | 'OTLP_METRICS_LIMITER' | 'LOG_LIMITER';
  limit: number;
  /** Seconds; the binding supports 10 or 60. */
  period: 10 | 60;
  /** What one counter belongs to, as said in the 429 message. */
  per: string;
  /** The limit's name in the 429 message. */
  name: string;
  /** What one count is, in the 429 message (default: requests). */
  unit?: string;
  /** How many items one count stands for (spans per count of the span limit). */
  perCount?: number;
}

export const RATE_LIMITS = {
  /** The spec's figure: an agent posts every 5 s (12/min); 100 leaves room for spool replays. */
  ingest: { binding: 'INGEST_LIMITER', limit: 100, period: 60, per: 'collector (organization and host id)', name: 'ingest' },
  /** Reads (GET) by one API key or one logged-in user: a dashboard polls a few routes every few seconds. */
  query: { binding: 'QUERY_LIMITER', limit: 600, period: 60, per: 'API key or user', name: 'query API' },
  /** Password guessing against one account. */
  loginAccount: { binding: 'LOGIN_ACCOUNT_LIMITER', limit: 10, period: 60, per: 'account', name: 'login' },
  /** Password spraying from one client address across many accounts. */
  loginIp: { binding: 'LOGIN_IP_LIMITER', limit: 30, period: 60, per: 'client IP address', name: 'login' },
  /** Sign-ups naming one email: each may mail its owner (at most once a minute, docs/auth.md). */
  signupEmail: { binding: 'SIGNUP_EMAIL_LIMITER', limit: 5, period: 60, per: 'email address', name: 'sign-up' },
  /** Sign-ups from one client address: each costs a password hash and may send an email. */
  signupIp: { binding: 'SIGNUP_IP_LIMITER', limit: 10, period: 60, per: 'client IP address', name: 'sign-up' },
  /**
   * OTLP spans per organization: 600 counts per 10 s, one count per 1,000 spans or part (a
   * request costs at least one), so 60,000 spans/s; the binding counts calls, not amounts.
   */
  spans: { binding: 'OTLP_LIMITER', limit: 600, period: 10, per: 'organization', name: 'span', unit: 'thousand spans', perCount: 1000 },
  /**
   * OTLP metric data points per organization, counted like spans on a binding of their own (a
   * service's metrics must not use up its spans' budget): 600 counts per 10 s, one per 1,000 data
   * points or part, so 60,000 points/s. An SDK exports each series once per interval (60 s by
   * default), so that is about 3.6 million series per organization.
   */
  dataPoints: { binding: 'OTLP_METRICS_LIMITER', limit: 600, period: 10, per: 'organization', name: 'data point', unit: 'thousand data points', perCount: 1000 },
  /**
   * Log lines per organization (POST /v1/logs and /api/v1/logs together), counted like spans on a
   * binding of their own: 600 counts per 10 s, one per 1,000 lines or part, so 60,000 lines/s,
   * three times the ingest rate bench:logs measures one machine taking (docs/performance.md).
   */
  logLines: { binding: 'LOG_LIMITER', limit: 600, period: 10, per: 'organization', name: 'log line', unit: 'thousand log lines', perCount: 1000 },
} as const satisfies Record<string, RateRule>;

export const BODY_LIMITS = {
  /** POST /api/v1/metrics/collect, after gzip decompression (protocol/ingest.ts, worker/body.ts). */
  ingestBytes: INGEST_LIMITS.maxBodyBytes,
  /** Every other request body of the API: rules, channels, accounts are a few hundred bytes. */
  jsonBytes: 64 * 1024,
  /** OTLP/HTTP bodies (/v1/traces, /v1/metrics, /v1/logs), after decompression (protocol/apm.ts). */
  otlpBytes: APM_LIMITS.maxBodyBytes,
  /** POST /api/v1/logs (shippers' JSON lines), after decompression: the OTLP figure. */
  logBytes: APM_LIMITS.maxBodyBytes,
} as const;
