// GET /api/v1/hosts status: derived from the firing alerts the host objects record.
import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, seedAdminTenant, uniq, waitFor } from '../../../test/alert-helpers.ts';
import { batch, post, sample } from '../../../test/helpers.ts';

type Host = { id: string; status: string };
const list = (key: string) => api<{ hosts: Host[] }>(key, 'GET', '/api/v1/hosts').then((r) => r.body.hosts);
const statusOf = async (key: string, id: string) => (await list(key)).find((h) => h.id === id)?.status;

describe('GET /api/v1/hosts status', () => {
  it('is ok, warning or critical by the highest severity firing (default rules), and back to ok when they resolve', async () => {
    const t = await seedAdminTenant(`Status ${uniq()}`);
    const now = Date.now();
    // Default rules: memory > 85 is WARNING, > 95 CRITICAL, both on the first breaching sample.
    const send = (host: string, ts: number, mem: number) => post(t.ingestKey, batch(host, [sample(ts, 10, { 'memory.usage.percent': mem })]));
    for (const [host, mem] of [['st-ok', 50], ['st-warn', 90], ['st-crit', 97]] as const) expect((await send(host, now - 10_000, mem)).status).toBe(200);

    const want = { 'st-ok': 'ok', 'st-warn': 'warning', 'st-crit': 'critical' };
    const got = await waitFor(
      () => list(t.readKey),
      (hs) => Object.entries(want).every(([id, s]) => hs.find((h) => h.id === id)?.status === s),
    );
    expect(Object.fromEntries(got.map((h) => [h.id, h.status]))).toEqual(want);

    expect((await send('st-crit', now, 50)).status).toBe(200);
    expect(await waitFor(() => statusOf(t.readKey, 'st-crit'), (s) => s === 'ok')).toBe('ok');
  });

  it('is down while the host-down rule fires, over other alerts, and recovers with the next sample', async () => {
    const t = await seedAdminTenant(`Status down ${uniq()}`);
    const rule = await api<{ id: string }>(t.adminKey, 'POST', '/api/v1/alerts/rules', {
      name: 'Host down fast',
      metric: 'host.up',
      comparator: '==',
      threshold: 0,
      for: 1000,
      severity: 'CRITICAL',
    });
    expect(rule.status).toBe(201);
    const host = `st-down-${uniq()}`;
    // Also over the memory warning of the default rules.
    expect((await post(t.ingestKey, batch(host, [sample(Date.now() - 5000, 10, { 'memory.usage.percent': 90 })]))).status).toBe(200);
    expect(await waitFor(() => statusOf(t.readKey, host), (s) => s === 'warning')).toBe('warning');
    await new Promise((r) => setTimeout(r, 1100));
    await runDurableObjectAlarm(env.HOSTS.getByName(`${t.tenant.id}:${host}`));
    expect(await waitFor(() => statusOf(t.readKey, host), (s) => s === 'down')).toBe('down');

    expect((await post(t.ingestKey, batch(host, [sample(Date.now(), 10)]))).status).toBe(200);
    expect(await waitFor(() => statusOf(t.readKey, host), (s) => s === 'ok')).toBe('ok');

    // Another organization sees none of it.
    const other = await seedAdminTenant(`Status other ${uniq()}`);
    expect(await list(other.readKey)).toEqual([]);
  });
});
