// Notification channels: config validation, secret masking, and one HTTP request per
// notification (Slack incoming webhook, signed generic webhook, email through Resend's HTTP API).
// Used by host objects (delivery from the outbox) and by the channel test route.
import { z } from '@hono/zod-openapi';
import { describe, type AlertNotice } from '../../durable-objects/core/notify.ts';
import { toHex } from '../auth/crypto.ts';

export type ChannelType = 'slack' | 'email' | 'webhook';
export const CHANNEL_TYPES: readonly ChannelType[] = ['slack', 'email', 'webhook'];

export interface Channel {
  id: string;
  name: string;
  type: ChannelType;
  config: Record<string, unknown>;
  enabled: boolean;
}

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);
export const CONFIG_SCHEMAS = {
  slack: z.strictObject({ webhookUrl: httpUrl }),
  email: z.strictObject({ to: z.array(z.email()).min(1).max(20) }),
  webhook: z.strictObject({
    url: httpUrl,
    secret: z.string().min(16, 'must be at least 16 characters').max(256),
  }),
} as const;

/** Secret config fields per type: never returned whole by the API. */
const SECRET_FIELDS: Record<ChannelType, string[]> = { slack: ['webhookUrl'], email: [], webhook: ['secret'] };
/** Webhook URLs often carry a token in the path or query (issue #5): only their origin is shown. */
const URL_FIELDS: Record<ChannelType, string[]> = { slack: [], email: [], webhook: ['url'] };

export function maskSecret(v: string): string {
  return v.length <= 8 ? '****' : `****${v.slice(-4)}`;
}

/** `https://hooks.example/****` — which service, not the credential in the path or query. */
export function maskUrl(v: string): string {
  try {
    return `${new URL(v).origin}/****`;
  } catch {
    return maskSecret(v);
  }
}

export function maskConfig(type: ChannelType, config: Record<string, unknown>): Record<string, unknown> {
  const out = { ...config };
  for (const f of SECRET_FIELDS[type]) if (typeof out[f] === 'string') out[f] = maskSecret(out[f]);
  for (const f of URL_FIELDS[type]) if (typeof out[f] === 'string') out[f] = maskUrl(out[f]);
  return out;
}

export interface NotifyEnv {
  RESEND_API_KEY?: string;
  RESEND_BASE_URL?: string;
  EMAIL_FROM?: string;
}

/** One of `host` and `service` is set: whose alerts these are (a test notification names a host). */
export interface Notification {
  tenantId: string;
  host?: { id: string; name: string };
  service?: { name: string };
  notices: AlertNotice[];
  test?: boolean;
}

/** How a notification names its subject in text: the host's name, or `service <name>`. */
export const subjectName = (n: Notification) => (n.service ? `service ${n.service.name}` : (n.host?.name ?? 'unknown'));

/** The JSON a generic webhook receives (docs/alerting.md). */
export function webhookPayload(n: Notification, sentAt: number) {
  return {
    version: 1,
    test: n.test ?? false,
    tenantId: n.tenantId,
    host: n.host ?? null,
    service: n.service ?? null,
    alerts: n.notices.map((a) => ({
      id: a.episodeId,
      status: a.kind === 'resolved' ? 'resolved' : 'firing',
      repeat: a.kind === 'repeat',
      rule: { id: a.ruleId, name: a.ruleName, severity: a.severity },
      metric: a.metric,
      labels: a.labels,
      comparator: a.comparator,
      threshold: a.threshold,
      value: a.value,
      startedAt: a.startedAt,
      resolvedAt: a.resolvedAt,
    })),
    sentAt,
  };
}

export async function hmacHex(secret: string, message: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toHex(await crypto.subtle.sign('HMAC', key, enc.encode(message)));
}

const RANK: Record<string, number> = { CRITICAL: 0, WARNING: 1, INFO: 2 };
/** Most severe first, resolved last (stable otherwise): a grouped message's subject names its worst alert, so a filter on CRITICAL sees a page grouped with tickets. */
function bySeverity(n: Notification): Notification['notices'] {
  const rank = (a: Notification['notices'][number]) => (a.kind === 'resolved' ? 10 : (RANK[a.severity] ?? 5));
  return [...n.notices].sort((x, y) => rank(x) - rank(y));
}

function text(n: Notification): string {
  const head = n.test ? 'Test notification from Pulse Monitor' : `${n.notices.length} alert${n.notices.length === 1 ? '' : 's'} on ${subjectName(n)}`;
  return [head, ...bySeverity(n).map((a) => describe(a, subjectName(n)))].join('\n');
}

function subject(n: Notification): string {
  if (n.test) return '[Pulse] Test notification';
  const first = bySeverity(n)[0];
  const more = n.notices.length > 1 ? ` (+${n.notices.length - 1} more)` : '';
  const state = first?.kind === 'resolved' ? 'RESOLVED' : first?.severity ?? 'ALERT';
  return `[Pulse ${state}] ${first?.ruleName ?? 'alert'} on ${subjectName(n)}${more}`;
}

export async function buildRequest(ch: Channel, n: Notification, env: NotifyEnv, now: number): Promise<{ url: string; init: RequestInit }> {
  const json = { 'content-type': 'application/json' };
  switch (ch.type) {
    case 'slack': {
      const cfg = CONFIG_SCHEMAS.slack.parse(ch.config);
      return { url: cfg.webhookUrl, init: { method: 'POST', headers: json, body: JSON.stringify({ text: text(n) }) } };
    }
    case 'webhook': {
      const cfg = CONFIG_SCHEMAS.webhook.parse(ch.config);
      const body = JSON.stringify(webhookPayload(n, now));
      const timestamp = String(Math.floor(now / 1000));
      const signature = `sha256=${await hmacHex(cfg.secret, `${timestamp}.${body}`)}`;
      return { url: cfg.url, init: { method: 'POST', headers: { ...json, 'x-pulse-timestamp': timestamp, 'x-pulse-signature': signature }, body } };
    }
    case 'email': {
      const cfg = CONFIG_SCHEMAS.email.parse(ch.config);
      if (!env.RESEND_API_KEY) throw new Error('email is not configured (RESEND_API_KEY is unset)');
      const base = (env.RESEND_BASE_URL || 'https://api.resend.com').replace(/\/+$/, '');
      const body = { from: env.EMAIL_FROM || 'Pulse Monitor <alerts@pulse.invalid>', to: cfg.to, subject: subject(n), text: text(n) };
      return {
        url: `${base}/emails`,
        init: { method: 'POST', headers: { ...json, authorization: `Bearer ${env.RESEND_API_KEY}` }, body: JSON.stringify(body) },
      };
    }
  }
}

export const SEND_TIMEOUT_MS = 10_000;

/** Sends one notification; throws an Error whose message is safe to store (no secrets). */
export async function deliver(ch: Channel, n: Notification, env: NotifyEnv, now = Date.now(), timeoutMs = SEND_TIMEOUT_MS): Promise<void> {
  const { url, init } = await buildRequest(ch, n, env, now);
  // A timer we clear ourselves: AbortSignal.timeout() would keep the object busy until it expires.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: abort.signal });
    } catch {
      throw new Error(`${ch.type} channel "${ch.name}": ${abort.signal.aborted ? `no answer within ${timeoutMs} ms` : 'connection failed'}`);
    }
    const detail = res.ok ? '' : (await res.text().catch(() => '')).slice(0, 200);
    if (!res.ok) throw new Error(`${ch.type} channel "${ch.name}": HTTP ${res.status}${detail ? ` ${detail}` : ''}`);
    await res.body?.cancel().catch(() => undefined);
  } finally {
    clearTimeout(timer);
  }
}
