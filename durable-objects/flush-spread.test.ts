// Service objects flush their rollups at an offset of their own after the minute's grace
// (flush-plan.ts, flushSpreadMs): not every object's rows in the same second.
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { flushSpreadMs, SERVICE_FLUSH_GRACE_MS, SERVICE_FLUSH_SPREAD_MS } from './service/flush-plan.ts';
import type { ServiceObject } from './service/service.ts';
import { seedTenant } from '../test/helpers.ts';
import { otlpTraces, postTraces } from '../test/otlp.ts';
import { serviceObjectName } from '../worker/types.ts';

const MINUTE = 60_000;

describe('flush spread', () => {
  it('gives each id a stable offset within the spread, and different ids different offsets', () => {
    const ids = Array.from({ length: 200 }, (_, i) => env.SERVICES.idFromName(`tenant-x:svc-${i}`).toString());
    const offsets = ids.map(flushSpreadMs);
    for (const o of offsets) {
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o).toBeLessThan(SERVICE_FLUSH_SPREAD_MS);
    }
    expect(ids.map(flushSpreadMs)).toEqual(offsets);
    // Spread over the range: 200 objects fill at least 8 of its 10 two-second slices.
    expect(new Set(offsets.map((o) => Math.floor(o / 2000))).size).toBeGreaterThanOrEqual(8);
  });

  it("an object's next flush is the next minute's grace plus its own offset", async () => {
    const t = await seedTenant('Flush Spread Org');
    for (const service of ['spread-a', 'spread-b', 'spread-c']) {
      const end = Date.now();
      expect((await postTraces(t.ingestKey, otlpTraces(service, [{ route: '/a', status: 200, durationMs: 5, end }]))).status).toBe(200);
      const stub = env.SERVICES.getByName(serviceObjectName(t.tenant.id, service));
      const { due, id } = await runInDurableObject(stub, async (o: ServiceObject, state: DurableObjectState) => ({ due: (await o.stats()).flushDueAt, id: state.id.toString() }));
      expect(due).toBe(Math.floor(end / MINUTE) * MINUTE + MINUTE + SERVICE_FLUSH_GRACE_MS + flushSpreadMs(id));
    }
  });
});
