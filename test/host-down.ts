// Shared by the host-down tests (durable-objects/host-*.test.ts): a tenant whose only alert rule
// is host down, a stream send that waits for its ack, and a watchdog shard's view of one tenant.
import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import { watchShardName } from '../durable-objects/core/watch-period.ts';
import { HostWatchObject } from '../durable-objects/host-watch.ts';
import { api, received, RECORDER, seedAdminTenant, uniq } from './alert-helpers.ts';
import { batch, sample } from './helpers.ts';
import type { StreamClient } from './stream-client.ts';

/** A tenant with one CRITICAL host-down rule of this `for` and no other rule; with `webhook`, it notifies a recording webhook. */
export async function hostDownTenant(name: string, forMs: number, opts: { webhook?: boolean } = {}) {
  const t = await seedAdminTenant(name);
  const { rules: defaults } = (await api<{ rules: { id: string }[] }>(t.readKey, 'GET', '/api/v1/alerts/rules')).body;
  for (const r of defaults) await api(t.adminKey, 'DELETE', `/api/v1/alerts/rules/${r.id}`);
  const path = `/wh/${uniq()}`;
  let channelIds: string[] | undefined;
  if (opts.webhook) {
    const ch = await api<{ id: string }>(t.adminKey, 'POST', '/api/v1/alerts/channels', { name: 'hook', type: 'webhook', config: { url: `${RECORDER}${path}`, secret: `secret-${uniq()}-${uniq()}` } });
    expect(ch.status, JSON.stringify(ch.body)).toBe(201);
    channelIds = [ch.body.id];
  }
  const rule = await api<{ id: string }>(t.adminKey, 'POST', '/api/v1/alerts/rules', { name: 'Host down', metric: 'host.up', comparator: '==', threshold: 0, for: forMs, severity: 'CRITICAL', ...(channelIds ? { channel_ids: channelIds } : {}) });
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
  /** The rule ids firing for host `h`. */
  const firing = (h: string) => api<{ firing: { rule_id: string }[] }>(t.readKey, 'GET', `/api/v1/alerts?host=${h}`).then((r) => r.body.firing.map((a) => a.rule_id));
  /** Notices to the webhook that carry a firing alert. */
  const fired = async () => (await received(path)).filter((r) => (JSON.parse(r.body) as { alerts: { status: string }[] }).alerts.some((a) => a.status === 'firing'));
  return { t, ruleId: rule.body.id, path, firing, fired };
}

/** Sends one sample and reads frames up to its ack (a woken object greets with `ready` first). */
export async function sendAck(client: StreamClient, h: string, ts = Date.now()) {
  const seq = client.send(batch(h, [sample(ts, 1)]));
  for (;;) {
    const f = await client.next();
    if (f.type === 'ready') continue;
    expect(f).toMatchObject({ type: 'ack', seq });
    return f;
  }
}

/** The watchdog shard of `<tenantId>:<host>`, which may watch other tenants' hosts too: its debug() lists this tenant's only. */
export function shardView(tenantId: string, host: string, shards = HostWatchObject.options.shards) {
  const stub = env.HOST_WATCH.getByName(watchShardName(`${tenantId}:${host}`, shards));
  return {
    stub,
    debug: async () => {
      const d = await stub.debug();
      return { ...d, names: d.names.filter((n) => n.startsWith(`${tenantId}:`)) };
    },
  };
}
