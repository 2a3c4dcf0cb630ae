// Anomaly scoring without traffic (docs/anomalies.md) in workerd: while spans flow no storage alarm
// is set for the anomaly tick (the in-memory timer is only moved), and once they stop the timer
// re-scores 5 s after the last batch (the 1 m request rate drops as seconds leave the window)
// without any alarm running; an object restarted in a silence (its timer lost) arms it again.
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { ServiceObject } from './service/service.ts';
import { ANOMALY_BACKSTOP_MS, ANOMALY_TICK_MS } from './service/anomalies.ts';
import { flushSpreadMs } from './service/flush-plan.ts';
import { restartObject, seedTenant } from '../test/helpers.ts';
import { otlpTraces, postTraces, type TestSpan } from '../test/otlp.ts';
import { waitFor } from '../test/alert-helpers.ts';
import { serviceObjectName } from '../worker/types.ts';

const SEC = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('anomaly ticks without traffic', () => {
  it('steady traffic sets no alarm for them; after it stops the in-memory timer re-scores (a drop shows), and a restart arms it again', async () => {
    const t = await seedTenant('Anomaly Tick Org');
    const service = `tick-${Date.now()}`;
    const stub = () => env.SERVICES.getByName(serviceObjectName(t.tenant.id, service));
    const send = async (spans: TestSpan[]) => expect((await postTraces(t.ingestKey, otlpTraces(service, spans))).status).toBe(200);
    const alarm = () => runInDurableObject(stub(), (_o: ServiceObject, state: DurableObjectState) => state.storage.getAlarm());
    const current = async () => (await stub().anomalyPeriods(0, 1)).current;
    const rps1m = (s: Awaited<ReturnType<typeof current>>) => s!.scores.find((x) => x.signal === 'rps' && x.window === '1m')!.value!;

    // The minute's rollup flush is the object's other alarm, at :10 plus the object's own offset
    // (flushSpreadMs): start where the history's flush below is due already and the next one
    // (the next minute's) is > 24 s away.
    const spreadSec = Math.ceil(flushSpreadMs(env.SERVICES.idFromName(serviceObjectName(t.tenant.id, service)).toString()) / SEC);
    while (new Date().getUTCSeconds() < 12 + spreadSec || new Date().getUTCSeconds() > 46) await sleep(500);

    // A minute of history (3 req/s) in one request, so seconds leave the 1 m window once traffic stops.
    const t0 = Date.now();
    await send(Array.from({ length: 62 * 3 }, (_, i) => ({ route: '/a', status: 200, durationMs: 10, end: t0 - 62 * SEC + Math.floor(i / 3) * SEC + (i % 3) * 100 })));
    expect((await waitFor(() => stub().stats(), (s) => s.flushedUntil !== null, 10_000)).flushedUntil).not.toBeNull();

    // ~7 s of traffic, a batch every 200 ms: the timer's deadline moves with each; the storage
    // alarm stays the flush's (and the anomalies' backstop is later still).
    let last = 0;
    for (let i = 0; i < 33; i++) {
      await send([{ route: '/a', status: 200, durationMs: 10, end: Date.now() - 50 }]);
      last = Date.now();
      const s = await stub().stats();
      const at = await alarm();
      expect(at, 'the flush alarm').not.toBeNull();
      expect(at! - Date.now()).toBeGreaterThan(ANOMALY_TICK_MS);
      expect(at).toBe(s.flushDueAt); // the flush's, not the anomalies' (lastSeen + 90 s is later)
      expect(s.flushDueAt!).toBeLessThan(last + ANOMALY_BACKSTOP_MS);
      expect(s.anomalyTicks.armed).toBe(true);
      expect(s.anomalyTicks.dueAt! - last).toBeGreaterThan(ANOMALY_TICK_MS - 1000); // moved to this batch + 5 s
      expect(s.anomalyTicks.dueAt! - last).toBeLessThanOrEqual(ANOMALY_TICK_MS);
      await sleep(Math.max(0, 200 - (Date.now() - last)));
    }
    const ticksBefore = (await stub().stats()).anomalyTicks.runs;
    const before = await current();
    const alarmBefore = await alarm();
    expect(before!.ts).toBeGreaterThanOrEqual(Math.floor(last / SEC) * SEC - SEC);

    // Silence: 5 s after the last batch the timer scores; no alarm ran (it is still the one set).
    const lastSec = Math.floor(last / SEC) * SEC;
    const after = await waitFor(current, (s) => s!.ts >= lastSec + 4 * SEC, 9000);
    expect(after!.ts).toBeGreaterThanOrEqual(lastSec + 4 * SEC); // scored ~5 s after the last batch (a whole second)
    expect(after!.ts).toBeLessThanOrEqual(lastSec + ANOMALY_TICK_MS);
    expect(rps1m(after)).toBeLessThan(rps1m(before)); // history seconds left the window: the drop shows
    const s = await stub().stats();
    expect(s.anomalyTicks.runs).toBeGreaterThan(ticksBefore);
    expect(s.anomalyTicks.armed).toBe(true); // and again 5 s later
    expect(await alarm()).toBe(alarmBefore);

    // Restarted (a deploy: timers lost; the timer also keeps it from an idle eviction): the new
    // instance arms its timer at start and scores without traffic or an alarm.
    await restartObject(stub());
    const restarted = await stub().stats();
    expect(restarted.anomalyTicks.armed).toBe(true);
    expect(await current()).toBeNull();
    const rescored = await waitFor(current, (c) => c !== null, ANOMALY_TICK_MS + 3000);
    expect(rescored!.ts).toBeGreaterThan(after!.ts);
    expect(await alarm()).toBe(alarmBefore);
  }, 120_000); // up to ~60 s waiting for the start window above
});
