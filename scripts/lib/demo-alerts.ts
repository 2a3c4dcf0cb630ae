// `npm run dev -- --demo`: gives the demo service SLOs and a latency rule, and the organization an
// email channel to the dev user (caught locally, .data/mail/), so breaking the demo through its
// fault switch (PUT /_demo/faults) makes an SLO burn and an alert arrive (docs/slo.md, "Try it").
// Idempotent: a second run finds what the first created. Goes through the API like a user would.
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { sha256Hex } from '../../worker/auth/crypto.ts';
import { createApiKey, findKeyByHash } from '../../worker/db/tenants.ts';

export interface DemoAlertsOptions {
  url: string;
  databaseUrl: string;
  ingestKey: string;
  email: string;
  service: string;
}

/** The fault that breaks the demo: POST /api/orders 300 ms slower and failing half the time. */
export const DEMO_FAULT = { route: 'POST /api/orders', extraLatencyMs: 300, errorRate: 0.5 };

async function adminKey(databaseUrl: string, ingestKey: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const db = drizzle(client);
    const key = await findKeyByHash(db, await sha256Hex(ingestKey));
    if (!key) throw new Error('the seeded ingest key was not found');
    return (await createApiKey(db, key.tenantId, 'admin', 'dev --demo setup')).secret;
  } finally {
    await client.end();
  }
}

export async function setUpDemoAlerts(o: DemoAlertsOptions): Promise<string[]> {
  const key = await adminKey(o.databaseUrl, o.ingestKey);
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${o.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const made: string[] = [];
  const { channels } = await call<{ channels: { name: string }[] }>('GET', '/api/v1/alerts/channels');
  if (!channels.some((c) => c.name === 'demo email')) {
    await call('POST', '/api/v1/alerts/channels', { name: 'demo email', type: 'email', config: { to: [o.email] } });
    made.push(`email channel to ${o.email}`);
  }
  const { slos } = await call<{ slos: { name: string }[] }>('GET', `/api/v1/slos?service=${encodeURIComponent(o.service)}`);
  // The demo's normal 5 % errors on POST /api/orders (~1 % of all requests) stay inside 98 %.
  const wanted = [
    { name: `${o.service} availability`, service: o.service, kind: 'availability', objective: 0.98, window_days: 7 },
    { name: 'orders under 250 ms', service: o.service, route: DEMO_FAULT.route, kind: 'latency', threshold_ms: 250, objective: 0.99, window_days: 7 },
  ];
  for (const s of wanted)
    if (!slos.some((x) => x.name === s.name)) {
      await call('POST', '/api/v1/slos', s);
      made.push(`SLO "${s.name}" with its burn-rate alerts`);
    }
  const { rules } = await call<{ rules: { name: string }[] }>('GET', '/api/v1/alerts/rules');
  const rule = { name: `${o.service} orders p95 over 250 ms`, metric: 'service.latency.p95', matchers: { service: o.service, route: DEMO_FAULT.route }, comparator: '>', threshold: 250, window: 60_000, for: 10_000, severity: 'WARNING' };
  if (!rules.some((r) => r.name === rule.name)) {
    await call('POST', '/api/v1/alerts/rules', rule);
    made.push(`rule "${rule.name}"`);
  }
  return made;
}
