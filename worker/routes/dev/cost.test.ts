// The bench:cost counters route exists only when COST_COUNTERS is on outside production.
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { costMetering } from '../../../durable-objects/cost-meter.ts';
import { get, seedTenant } from '../../../test/helpers.ts';

describe('GET /api/v1/dev/cost', () => {
  it('is not there in a normal deployment (COST_COUNTERS off)', async () => {
    const t = await seedTenant('Cost Org');
    const res = await get(t.readKey, '/api/v1/dev/cost?host=x');
    expect(res.status).toBe(404);
    const spec = (await (await get(t.readKey, '/api/v1/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).not.toContain('/api/v1/dev/cost');
  });

  it('counts nothing in production whatever the var, and counts rows and keeps counts across restarts otherwise', async () => {
    await runInDurableObject(env.HOSTS.getByName(`cost-meter-${Date.now()}`), (_obj, state) => {
      expect(costMetering({ COST_COUNTERS: 'on', ENVIRONMENT: 'production' }, state.storage.sql, state.id).counters).toBeNull();
      const { sql, counters } = costMetering({ COST_COUNTERS: 'on', ENVIRONMENT: 'development' }, state.storage.sql, state.id);
      sql.exec('CREATE TABLE cost_probe (a INTEGER)');
      const created = counters!.rowsWritten;
      sql.exec('INSERT INTO cost_probe VALUES (1), (2), (3)');
      expect(counters!.rowsWritten - created).toBe(3);
      expect(sql.exec<{ n: number }>('SELECT count(*) AS n FROM cost_probe').one().n).toBe(3);
      // A restarted object (same id) goes on counting where it was.
      const again = costMetering({ COST_COUNTERS: 'on', ENVIRONMENT: 'development' }, state.storage.sql, state.id);
      again.sql.exec('INSERT INTO cost_probe VALUES (4)');
      expect(again.counters).toBe(counters);
      expect(counters!.rowsWritten - created).toBe(4);
      expect([...again.sql.exec<{ a: number }>('SELECT a FROM cost_probe ORDER BY a')].map((r) => r.a)).toEqual([1, 2, 3, 4]);
    });
  });
});
