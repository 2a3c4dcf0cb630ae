// Issue #13's newcomer path (docs/slo.md, "Try it: break the demo"), as `npm run dev -- --demo`
// sets it up: the demo service under load with its SLOs, burn-rate rules, P95 rule and email
// channel (scripts/lib/demo-alerts.ts) on the real local stack. Healthy traffic burns nothing;
// the printed fault switch makes the latency SLO burn, its page arrives by email (caught in the
// stack's mail directory), and the P95 rule follows after its `for`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SloStatus } from '../durable-objects/core/slo.ts';
import { startDemo, type DemoProcess } from '../scripts/lib/demo.ts';
import { DEMO_FAULT, setUpDemoAlerts } from '../scripts/lib/demo-alerts.ts';
import { startStack, type Stack } from '../scripts/lib/stack.ts';

let stack: Stack;
let demo: DemoProcess;

beforeAll(async () => {
  // Not created here: the embedded Postgres (run as its own user under root) makes its directory.
  const dataDir = path.join(os.tmpdir(), `pulse-slo-demo-${process.pid}-${Date.now()}`);
  stack = await startStack({ dataDir, persistent: false, log: (m) => console.error(`[slo-demo] ${m}`) });
  demo = await startDemo({ endpoint: stack.url, ingestKey: stack.credentials.ingestKey, rps: 10 });
}, 240_000);

afterAll(async () => {
  await demo?.stop();
  await stack?.stop();
}, 60_000);

const read = async <T>(p: string): Promise<T> => {
  const res = await fetch(`${stack.url}${p}`, { headers: { authorization: `Bearer ${stack.credentials.readKey}` } });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
};
/** Subjects of the caught alert emails (sign-up mail has none of "[Pulse "). */
const alertMail = () =>
  (fs.existsSync(stack.mailDir) ? fs.readdirSync(stack.mailDir) : [])
    .filter((f) => f.endsWith('.json'))
    .map((f) => (JSON.parse(fs.readFileSync(path.join(stack.mailDir, f), 'utf8')) as { subject: string; to: string[] }))
    .filter((m) => m.subject.startsWith('[Pulse ') && m.to.includes(stack.credentials.email));

describe('break the demo', () => {
  it('an SLO burns and its alert is emailed; the P95 rule follows', { timeout: 180_000 }, async () => {
    const made = await setUpDemoAlerts({ url: stack.url, databaseUrl: stack.databaseUrl, ingestKey: stack.credentials.ingestKey, email: stack.credentials.email, service: demo.service });
    expect(made).toHaveLength(4); // the channel, two SLOs, the P95 rule
    expect(await setUpDemoAlerts({ url: stack.url, databaseUrl: stack.databaseUrl, ingestKey: stack.credentials.ingestKey, email: stack.credentials.email, service: demo.service })).toEqual([]); // idempotent
    const { slos } = await read<{ slos: { id: string; name: string }[] }>(`/api/v1/slos?service=${demo.service}`);
    const latency = slos.find((s) => s.name === 'orders under 250 ms')!;
    expect(latency).toBeDefined();
    const status = () => read<SloStatus>(`/api/v1/slos/${latency.id}/status`);
    // Healthy: orders are counted and all are good.
    await expect.poll(async () => (await status()).total, { timeout: 60_000, interval: 1000 }).toBeGreaterThan(5);
    const healthy = await status();
    expect([healthy.good, healthy.status]).toEqual([healthy.total, 'ok']);
    expect(alertMail().filter((m) => m.subject.includes('orders under 250 ms'))).toEqual([]);

    const put = await fetch(`${demo.url}/_demo/faults`, { method: 'PUT', body: JSON.stringify(DEMO_FAULT) });
    expect(put.status).toBe(200);
    try {
      // Alerts raised by one batch share one email per channel: its subject names the first and
      // "(+N more)", so the fast-burn page may be the first or among the more (the 6 h page burns too).
      await expect
        .poll(() => alertMail().map((m) => m.subject), { timeout: 60_000, interval: 500 })
        .toContainEqual(expect.stringMatching(/^\[Pulse CRITICAL\] orders under 250 ms: page: (2% of budget in 1h|5% of budget in 6h) on service demo-shop( \(\+\d+ more\))?$/));
      await expect
        .poll(async () => (await read<{ firing: { rule_name: string; notified: string }[] }>(`/api/v1/alerts?service=${demo.service}`)).firing.filter((a) => a.notified === 'sent').map((a) => a.rule_name), { timeout: 30_000, interval: 1000 })
        .toContain('orders under 250 ms: page: 2% of budget in 1h');
      const burning = await status();
      expect(['burning', 'exhausted']).toContain(burning.status);
      expect(burning.burnRates['5m']!).toBeGreaterThan(14.4);
      expect(burning.good).toBeLessThan(burning.total);
      // The P95 rule (> 250 ms for 10 s) fires too, listed with the service's alerts.
      await expect
        .poll(async () => (await read<{ firing: { rule_name: string }[] }>(`/api/v1/alerts?service=${demo.service}`)).firing.map((a) => a.rule_name), { timeout: 60_000, interval: 1000 })
        .toContain(`${demo.service} orders p95 over 250 ms`);
    } finally {
      await fetch(`${demo.url}/_demo/faults`, { method: 'DELETE' });
    }
  });
});
