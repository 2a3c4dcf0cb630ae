// Host down on a half-open stream (docs/alerting.md "Host down"): a host that loses power sends
// no FIN, so its stream stays open but silent. The host's watchdog shard (host-watch.ts) asks
// each streaming host to check itself once a period, so the alert fires within `for` plus one
// period, once, and neither a restart of the host object nor of the watchdog re-sends or forgets it.
import { env, evictDurableObject } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniq, waitFor } from '../test/alert-helpers.ts';
import { connect } from '../test/stream-client.ts';
import { hostDownTenant, sendAck, shardView } from '../test/host-down.ts';
import { DEFAULT_WATCH_OPTIONS, watchPeriod } from './core/watch-period.ts';
import { HostWatchObject } from './host-watch.ts';

const FOR = 2000;
const OPTIONS = { ...DEFAULT_WATCH_OPTIONS, minPeriodMs: 200, maxPeriodMs: 1000, silenceMs: 600, slackMs: 400 };
// At most `for` plus one period (the host's own alarm makes it `for`: host-down-exact.test.ts).
const BOUND = FOR + watchPeriod(FOR, OPTIONS);
// Scheduling slack on a loaded test machine (the alert's own timing is checked against the host's alarm below).
const SLACK = 4000;
const saved = HostWatchObject.options;
beforeAll(() => {
  HostWatchObject.options = OPTIONS;
});
afterAll(() => {
  HostWatchObject.options = saved;
});

async function setup(name: string) {
  const x = await hostDownTenant(`${name} ${uniq()}`, FOR, { webhook: true });
  const h = `hw-${uniq()}`;
  const host = () => env.HOSTS.getByName(`${x.t.tenant.id}:${h}`);
  const view = shardView(x.t.tenant.id, h, OPTIONS.shards);
  return { ...x, h, host, watch: () => view, shard: () => view.stub, firing: () => x.firing(h) };
}

const send = sendAck;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('host down on an open but silent stream', () => {
  it('fires within `for` plus one check period, once, while the stream stays open', async () => {
    const x = await setup('Watch Silent');
    const { client } = await connect(x.t.ingestKey, x.h);
    await send(client, x.h, Date.now() - 500);
    const lastAck = Date.now();
    // The stream's first frame registers the host with its watchdog shard.
    await waitFor(() => x.watch().debug(), (d) => d.names.includes(`${x.t.tenant.id}:${x.h}`), 5000);
    const own = (await x.host().stats()).alarmAt!;
    // The host object's own alarm (the pending flush) is far later than the bound: only the watchdog can be in time.
    expect(own).toBeGreaterThan(lastAck + BOUND + SLACK);
    const f = await waitFor(() => x.firing(), (ids) => ids.includes(x.ruleId), BOUND + SLACK);
    expect(f).toContain(x.ruleId);
    expect(Date.now() - lastAck).toBeLessThan(BOUND + SLACK);
    expect(Date.now()).toBeLessThan(own);
    expect(await x.host().streamCount()).toBe(1);
    await waitFor(() => x.fired(), (r) => r.length >= 1, 5000);
    // Ticks go on while the stream is open: the alert is not sent again.
    await sleep(3 * OPTIONS.maxPeriodMs);
    expect((await x.fired()).length).toBe(1);
    expect(await x.firing()).toEqual([x.ruleId]);
    client.close();
  });

  it('a healthy stream raises nothing across many ticks', async () => {
    const x = await setup('Watch Healthy');
    const { client } = await connect(x.t.ingestKey, x.h);
    await send(client, x.h, Date.now());
    const first = await waitFor(() => x.watch().debug(), (d) => d.alarmAt !== null && d.names.length === 1, 5000);
    const until = Date.now() + 4 * OPTIONS.maxPeriodMs + FOR;
    // A sample every 300 ms (against a `for` of 2 s), across more than four ticks.
    while (Date.now() < until) {
      await send(client, x.h, Date.now());
      await sleep(300);
    }
    const later = await x.watch().debug();
    expect(later.alarmAt!).toBeGreaterThan(first.alarmAt! + 2 * OPTIONS.maxPeriodMs); // it kept ticking
    expect(later.names).toEqual([`${x.t.tenant.id}:${x.h}`]);
    expect(await x.firing()).toEqual([]);
    expect(await x.fired()).toEqual([]);
    client.close();
    // The close re-arms the host's exact deadline and the next tick drops the host.
    await waitFor(() => x.watch().debug(), (d) => d.names.length === 0, 5000);
    expect((await x.watch().debug()).names).toEqual([]);
  });

  it('restarts of the host object and of the watchdog neither forget the silent host nor send it twice', async () => {
    const x = await setup('Watch Restart');
    const { client } = await connect(x.t.ingestKey, x.h);
    await send(client, x.h, Date.now() - 500);
    await waitFor(() => x.watch().debug(), (d) => d.names.length === 1, 5000);
    // Both objects restart before the deadline: the host object's memory (its open window, so
    // the last arrival) is gone, its socket hibernated; the watchdog keeps only its storage.
    await evictDurableObject(x.host());
    await evictDurableObject(x.shard());
    const f = await waitFor(() => x.firing(), (ids) => ids.includes(x.ruleId), BOUND + SLACK);
    expect(f).toContain(x.ruleId);
    await waitFor(() => x.fired(), (r) => r.length >= 1, 5000);
    // And again after the alert fired: the woken objects know it fires, and send nothing more.
    await evictDurableObject(x.host());
    await evictDurableObject(x.shard());
    await sleep(3 * OPTIONS.maxPeriodMs);
    expect((await x.fired()).length).toBe(1);
    expect(await x.firing()).toEqual([x.ruleId]);
    expect(await x.host().streamCount()).toBe(1);
    // A sample resolves it; the stream's next silence would raise it anew.
    await send(client, x.h, Date.now());
    await waitFor(() => x.firing(), (ids) => ids.length === 0, 5000);
    expect(await x.firing()).toEqual([]);
    client.close();
  });

  it('a restarted host object with a live stream does not take its last stored sample for the last arrival', async () => {
    const x = await setup('Watch Wake');
    const { client } = await connect(x.t.ingestKey, x.h);
    // A sample two windows old is stored at once (its window is complete); the stream goes on
    // for longer than `for`, so that stored sample's arrival is older than `for` by then.
    await send(client, x.h, Date.now() - 11 * 60_000);
    const until = Date.now() + FOR + OPTIONS.maxPeriodMs;
    while (Date.now() < until) {
      await send(client, x.h, Date.now());
      await sleep(300);
    }
    await send(client, x.h, Date.now());
    await evictDurableObject(x.host()); // its open window is gone from memory; the socket's attachment is not
    // Silent for more than a period but less than `for`: a tick wakes the object, which must
    // take the last frame's arrival for the last one, not the stored sample's.
    await sleep(OPTIONS.maxPeriodMs + 400);
    for (let i = 0; i < 4; i++) {
      await send(client, x.h, Date.now());
      await sleep(300);
    }
    expect(await x.fired()).toEqual([]);
    expect(await x.firing()).toEqual([]);
    client.close();
  });
});
