// Host down on the stream path (docs/alerting.md "Host down"): while an agent's stream is open
// and a rollup flush alarm is pending, the host-down check rides on that alarm instead of
// re-arming its own once a `for` (each setAlarm is a row written); the stream's close puts the
// exact deadline back, and a silent open stream is still caught.
import { runDurableObjectAlarm, env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { batch, sample } from '../test/helpers.ts';
import { connect } from '../test/stream-client.ts';
import { hostDownTenant } from '../test/host-down.ts';
import { STREAM_DOWN_SLACK_MS } from './host.ts';

const FOR = 1000;

async function setup(name: string) {
  const x = await hostDownTenant(name, FOR);
  const h = `down-${Math.random().toString(36).slice(2, 8)}`;
  const stub = () => env.HOSTS.getByName(`${x.t.tenant.id}:${h}`);
  return { ...x, h, stub, firing: () => x.firing(h) };
}

describe('host down with a stream open', () => {
  it('arms no alarm of its own while samples flow; the close re-arms the exact deadline, which fires', async () => {
    const x = await setup('Down Close Org');
    const { client } = await connect(x.t.ingestKey, x.h);
    const sent = Date.now();
    expect(await client.call(batch(x.h, [sample(sent - 1000, 1)]))).toMatchObject({ type: 'ack' });
    const open = await x.stub().stats();
    // The pending flush alarm (at least FLUSH_GRACE_MS away), not the host-down deadline a second on.
    expect(open.alarmAt).not.toBeNull();
    expect(open.alarmAt!).toBeGreaterThan(sent + FOR + 5000);
    expect(open.alarmAt!).toBeLessThanOrEqual(Date.now() + STREAM_DOWN_SLACK_MS);
    client.close();
    // The close brings the deadline back to the last sample's arrival plus `for`.
    await vi.waitFor(
      async () => {
        const s = await x.stub().stats();
        expect(s.alarmAt).not.toBeNull();
        expect(s.alarmAt!).toBeLessThanOrEqual(Date.now() + FOR);
      },
      { timeout: 5000, interval: 50 },
    );
    expect(await x.firing()).not.toContain(x.ruleId);
    // The armed alarm fires on its own (workerd runs it at its time) and raises host down.
    await vi.waitFor(async () => expect(await x.firing()).toContain(x.ruleId), { timeout: 10_000, interval: 100 });
  });

  it('a stream open but silent is caught at the pending alarm', async () => {
    const x = await setup('Down Silent Org');
    const { client } = await connect(x.t.ingestKey, x.h);
    expect(await client.call(batch(x.h, [sample(Date.now() - 1000, 1)]))).toMatchObject({ type: 'ack' });
    await new Promise((r) => setTimeout(r, FOR + 200));
    expect(await x.firing()).not.toContain(x.ruleId);
    // The flush alarm comes (run early here): the socket is still open, the host has been silent past `for`.
    expect(await runDurableObjectAlarm(x.stub())).toBe(true);
    await vi.waitFor(async () => expect(await x.firing()).toContain(x.ruleId), { timeout: 5000, interval: 50 });
    expect((await x.stub().streamCount())).toBe(1);
    client.close();
  });

  it('with nothing left to flush, an open stream gets the exact deadline again', async () => {
    const x = await setup('Down Flushed Org');
    const { client } = await connect(x.t.ingestKey, x.h);
    // A sample two hours old: its window and minute are complete, so its flush is due at once.
    const sent = Date.now();
    expect(await client.call(batch(x.h, [sample(sent - 2 * 3600_000, 1)]))).toMatchObject({ type: 'ack' });
    await vi.waitFor(
      async () => {
        const s = await x.stub().stats();
        expect(s.flushedUntil).not.toBeNull();
        expect(s.alarmAt).not.toBeNull();
        expect(s.alarmAt!).toBeLessThanOrEqual(sent + FOR + 1000);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(await x.stub().streamCount()).toBe(1);
    await vi.waitFor(async () => expect(await x.firing()).toContain(x.ruleId), { timeout: 10_000, interval: 100 });
    client.close();
  });
});
