// The host-down watchdog sharded across the fleet (durable-objects/host-watch.ts): hosts of
// different organizations share a shard, each checked at its own period (one tenant's short
// `for` does not make the shard ask everyone at its cadence), and a change of the shard count
// moves a host to its new shard and drops it from the old one.
import { env } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniq, waitFor } from '../test/alert-helpers.ts';
import { connect, type StreamClient } from '../test/stream-client.ts';
import { hostDownTenant, sendAck } from '../test/host-down.ts';
import { DEFAULT_WATCH_OPTIONS, watchPeriod, watchShardName } from './core/watch-period.ts';
import { HostWatchObject } from './host-watch.ts';

const OPTIONS = { ...DEFAULT_WATCH_OPTIONS, minPeriodMs: 200, maxPeriodMs: 3000, silenceMs: 600, slackMs: 400, shards: 8 };
const saved = HostWatchObject.options;
beforeAll(() => {
  HostWatchObject.options = OPTIONS;
});
afterAll(() => {
  HostWatchObject.options = saved;
});

/** A tenant with one host-down rule of this `for` and nothing else. */
const tenant = (name: string, forMs: number) => hostDownTenant(`${name} ${uniq()}`, forMs);
const send = (client: StreamClient, h: string) => sendAck(client, h);

const shard = (name: string, shards = OPTIONS.shards) => env.HOST_WATCH.getByName(watchShardName(name, shards));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the host-down watchdog, sharded across organizations', () => {
  it('checks two tenants\' hosts in one shard each at its own period', async () => {
    const fast = await tenant('Shard Fast', 1000); // period: the 200 ms floor
    const slow = await tenant('Shard Slow', 5000); // period: 3 s
    expect(watchPeriod(1000, OPTIONS)).toBe(200);
    expect(watchPeriod(5000, OPTIONS)).toBe(3000);
    const a = `sa-${uniq()}`;
    const aName = `${fast.t.tenant.id}:${a}`;
    // A host of the other tenant that hashes to the same shard.
    let b = `sb-${uniq()}`;
    while (watchShardName(`${slow.t.tenant.id}:${b}`, OPTIONS.shards) !== watchShardName(aName, OPTIONS.shards)) b = `sb-${uniq()}`;
    const bName = `${slow.t.tenant.id}:${b}`;
    const ca = (await connect(fast.t.ingestKey, a)).client;
    const cb = (await connect(slow.t.ingestKey, b)).client;
    await send(ca, a);
    await send(cb, b);
    const watch = shard(aName);
    await waitFor(() => watch.debug(), (d) => d.names.includes(aName) && d.names.includes(bName), 5000);
    const before = (await watch.debug()).asked;
    const t0 = Date.now();
    await sleep(6500);
    const after = (await watch.debug()).asked;
    const elapsed = Date.now() - t0;
    const asked = (n: string) => (after[n] ?? 0) - (before[n] ?? 0);
    // The fast host at its 200 ms cadence (a loaded machine ticks late: a third of it at least);
    // the slow one at its own 3 s, not the fast one's: at most one more than its periods in the span.
    expect(asked(aName)).toBeGreaterThanOrEqual(Math.floor(elapsed / 200 / 3));
    expect(asked(bName)).toBeGreaterThanOrEqual(1);
    expect(asked(bName)).toBeLessThanOrEqual(Math.ceil(elapsed / 3000) + 1);
    ca.close();
    cb.close();
  });

  it('a change of the shard count moves a streaming host to its new shard; the old one drops it', async () => {
    const x = await tenant('Shard Move', 5000);
    const h = `sm-${uniq()}`;
    const name = `${x.t.tenant.id}:${h}`;
    // A count under which this host's shard differs from its shard under 8.
    let moved = 2;
    while (watchShardName(name, moved) === watchShardName(name, OPTIONS.shards)) moved++;
    const { client } = await connect(x.t.ingestKey, h);
    await send(client, h);
    const old = shard(name);
    await waitFor(() => old.debug(), (d) => d.names.includes(name), 5000);
    HostWatchObject.options = { ...OPTIONS, shards: moved };
    try {
      // No frame after the change: the old shard's next check gets `false`, and the host
      // registers with its new shard itself.
      const next = shard(name, moved);
      await waitFor(() => next.debug(), (d) => d.names.includes(name), 3 * OPTIONS.maxPeriodMs);
      await waitFor(() => old.debug(), (d) => !d.names.includes(name), 3 * OPTIONS.maxPeriodMs);
      expect((await old.debug()).names).not.toContain(name);
      expect((await next.debug()).names).toContain(name);
      // The new shard watches it: the silent stream's host-down fires.
      await waitFor(() => x.firing(h), (ids) => ids.includes(x.ruleId), 5000 + OPTIONS.maxPeriodMs + 4000);
      expect(await x.firing(h)).toContain(x.ruleId);
      client.close();
    } finally {
      HostWatchObject.options = OPTIONS;
    }
  });
});
