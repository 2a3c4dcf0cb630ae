// Host down on a silent open stream fires at `for`, as on HTTP (docs/alerting.md "Host down"):
// a watchdog tick that finds a host silent past the threshold has it arm its own alarm at its
// exact deadline (one setAlarm per silence, none per sample); frames resuming before it fire
// nothing; a shard with more due hosts than one alarm invocation may call is paged.
import { env, evictDurableObject } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniq, waitFor } from '../test/alert-helpers.ts';
import { connect, type StreamClient } from '../test/stream-client.ts';
import { hostDownTenant, sendAck, shardView } from '../test/host-down.ts';
import { DEFAULT_WATCH_OPTIONS, watchPeriod } from './core/watch-period.ts';
import { HostWatchObject } from './host-watch.ts';

const FOR = 5000;
const OPTIONS = { ...DEFAULT_WATCH_OPTIONS, minPeriodMs: 200, maxPeriodMs: 3000, silenceMs: 800, slackMs: 400, shards: 1 };
const PERIOD = watchPeriod(FOR, OPTIONS); // 3 s: the tick alone would be up to 3 s late
// Scheduling slack on a loaded machine; under one period, so a tick-only alert can fail it.
const TOLERANCE = 1500;
const saved = HostWatchObject.options;
beforeAll(() => {
  HostWatchObject.options = OPTIONS;
});
afterAll(() => {
  HostWatchObject.options = saved;
});

async function setup(name: string, hosts = 1) {
  const x = await hostDownTenant(`${name} ${uniq()}`, FOR, { webhook: true });
  const names = Array.from({ length: hosts }, () => `hx-${uniq()}`);
  const host = (h: string) => env.HOSTS.getByName(`${x.t.tenant.id}:${h}`);
  // The hosts' watchdog shard (the tests run with one).
  const view = shardView(x.t.tenant.id, names[0]!);
  return { ...x, names, host, watch: () => view };
}

const send = (client: StreamClient, h: string) => sendAck(client, h);

/** Polls until the rule fires for the host; returns when it was first seen. */
async function firedAt(x: Awaited<ReturnType<typeof setup>>, h: string, timeoutMs: number): Promise<number> {
  await waitFor(() => x.firing(h), (ids) => ids.includes(x.ruleId), timeoutMs);
  return Date.now();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('host down on a silent open stream, at `for`', () => {
  for (const evict of [false, true]) {
    it(`fires at the last frame + for, not a period later${evict ? ' (the host object evicted, its socket hibernated)' : ''}`, async () => {
      const x = await setup('Exact Silent');
      const h = x.names[0]!;
      const { client } = await connect(x.t.ingestKey, h);
      await send(client, h);
      // The first frame registers the host; ticks follow every period from then on.
      await waitFor(() => x.watch().debug(), (d) => d.names.length === 1, 5000);
      // The last frame 1.2 s after that: its deadline falls 2.8 s before the tick after it.
      await sleep(1200);
      const sent = Date.now();
      await send(client, h);
      const acked = Date.now();
      if (evict) await evictDurableObject(x.host(h));
      // A tick past the silence threshold arms the host's own alarm at its exact deadline, before it fires.
      const s = await waitFor(() => x.host(h).stats(), (st) => st.alarmAt !== null && st.alarmAt <= acked + FOR, FOR);
      expect(s.alarmAt).not.toBeNull();
      expect(s.alarmAt!).toBeLessThanOrEqual(acked + FOR);
      expect(s.alarmAt!).toBeGreaterThanOrEqual(sent + FOR);
      expect(await x.firing(h)).toEqual([]);
      if (evict) await evictDurableObject(x.host(h));
      const at = await firedAt(x, h, FOR + PERIOD + TOLERANCE);
      expect(at - sent).toBeGreaterThanOrEqual(FOR);
      expect(at - acked).toBeLessThan(FOR + TOLERANCE);
      await waitFor(() => x.fired(), (r) => r.length >= 1, 5000);
      expect(await x.host(h).streamCount()).toBe(1);
      // Ticks go on while the stream is open: not sent again.
      await sleep(2 * PERIOD);
      expect((await x.fired()).length).toBe(1);
      client.close();
    });
  }

  it('frames resuming after the alarm was armed, before the deadline, fire nothing', async () => {
    const x = await setup('Exact Resume');
    const h = x.names[0]!;
    const { client } = await connect(x.t.ingestKey, h);
    await send(client, h);
    const acked = Date.now();
    const s = await waitFor(() => x.host(h).stats(), (st) => st.alarmAt !== null && st.alarmAt <= acked + FOR, FOR);
    expect(s.alarmAt).not.toBeNull();
    expect(s.alarmAt!).toBeLessThanOrEqual(acked + FOR);
    expect(await x.firing(h)).toEqual([]); // armed, not yet due
    // The agent is back: samples every 300 ms across the old deadline and two more periods.
    const until = s.alarmAt! + 2 * PERIOD;
    while (Date.now() < until) {
      await send(client, h);
      await sleep(300);
    }
    expect(await x.firing(h)).toEqual([]);
    expect(await x.fired()).toEqual([]);
    client.close();
  });

  it('pages a shard with more due hosts than one invocation may call, and each fires at `for`', async () => {
    const saved = HostWatchObject.options;
    HostWatchObject.options = { ...OPTIONS, pageSize: 2 };
    try {
      const x = await setup('Exact Paged', 5);
      const clients: StreamClient[] = [];
      for (const h of x.names) {
        const { client } = await connect(x.t.ingestKey, h);
        clients.push(client);
        await send(client, h);
      }
      const acked = Date.now();
      await waitFor(() => x.watch().debug(), (d) => d.names.length === 5, 5000);
      for (const h of x.names) {
        const at = await firedAt(x, h, FOR + PERIOD + TOLERANCE);
        expect(at - acked).toBeLessThan(FOR + TOLERANCE);
      }
      const { pages } = await x.watch().debug();
      // No invocation asked more than the page size; a tick of the five took three pages or more
      // (2 + 2 + 1, or 2 + 2 + 2 ... with another test's host still in the shard).
      expect(Math.max(...pages)).toBe(2);
      expect(pages.join(',')).toMatch(/2,2,[12]/);
      for (const c of clients) c.close();
    } finally {
      HostWatchObject.options = saved;
    }
  });
});
