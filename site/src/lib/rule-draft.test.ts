import { describe, expect, it } from 'vitest';
import { SERVICE_METRICS as CORE_SERVICE_METRICS, MATCHER_KEYS, SERVICE_MATCHER_KEYS } from '../../../durable-objects/core/rules.ts';
import type { RuleJson } from './alert-types.ts';
import { describeRule, draftOf, EMPTY_RULE, familyOf, HOST_MATCHERS, previewBody, ruleBody, SERVICE_MATCHERS, SERVICE_METRICS, switchFamily, withMetric } from './rule-draft.ts';

describe('rule drafts', () => {
  it("the copied lists agree with the engine's", () => {
    expect([...SERVICE_METRICS]).toEqual([...CORE_SERVICE_METRICS]);
    expect([...HOST_MATCHERS]).toEqual([...MATCHER_KEYS]);
    expect([...SERVICE_MATCHERS]).toEqual([...SERVICE_MATCHER_KEYS]);
  });

  it('each family sends only its fields', () => {
    const host = ruleBody({ ...EMPTY_RULE, name: 'cpu', matchers: { host: 'web-*', route: '*', mount: '' }, window: 60_000 });
    expect(host).toMatchObject({ kind: 'threshold', metric: 'cpu.usage.total', matchers: { host: 'web-*' } });
    expect('window' in host).toBe(false);
    const svc = ruleBody({ ...switchFamily({ ...EMPTY_RULE, name: 'slow' }, 'service', null), matchers: { service: 'shop', route: '*', host: 'x' } });
    expect(svc).toMatchObject({ name: 'slow', kind: 'threshold', metric: 'service.latency.p95', matchers: { service: 'shop', route: '*' }, window: 60_000, repeat_interval: 60_000 });
    const burn = ruleBody({ ...switchFamily(EMPTY_RULE, 'burn_rate', 'slo_1'), matchers: { host: 'x' } });
    expect(burn).toMatchObject({ kind: 'burn_rate', slo_id: 'slo_1', window: 3600_000, short_window: 300_000, threshold: 14.4, comparator: '>', matchers: {} });
    expect('metric' in burn).toBe(false);
    expect(familyOf(burn as never)).toBe('burn_rate');
  });

  it('the preview body is the condition only', () => {
    const p = previewBody({ ...switchFamily(EMPTY_RULE, 'service', null), name: 'x', channel_ids: ['c'] });
    expect(p).toEqual({ kind: 'threshold', metric: 'service.latency.p95', matchers: {}, comparator: '>', threshold: 200, for: 0, window: 60_000 });
  });

  it('a stored rule round-trips and reads as one line', () => {
    const r: RuleJson = { id: 'r1', name: 'fast burn', kind: 'burn_rate', metric: 'slo.burn_rate', matchers: {}, comparator: '>', threshold: 14.4, for: 0, keep_firing_for: 0, repeat_interval: 60_000, severity: 'CRITICAL', channel_ids: [], enabled: true, window: 3600_000, short_window: 300_000, slo_id: 'slo_1', horizon: null, created_at: 1, updated_at: 2 };
    expect(draftOf(r)).not.toHaveProperty('id');
    expect(describeRule(r, 'Checkout')).toBe('burn rate of Checkout > 14.4x over 1 h and 5 m');
    expect(describeRule({ ...r, kind: 'threshold', metric: 'service.error_rate', matchers: { route: '*' }, threshold: 0.05, window: 120_000, for: 30_000 })).toBe('service.error_rate route=* over 2 m > 0.05 for 30s');
  });
});

describe('anomaly and forecast drafts', () => {
  it('send their own fields and matchers', () => {
    const a = ruleBody({ ...switchFamily(EMPTY_RULE, 'anomaly', null), name: 'odd', matchers: { service: 'shop', route: '*', host: 'x' } });
    expect(a).toMatchObject({ kind: 'anomaly', metric: 'service.latency.p95', comparator: '>=', threshold: 3, window: 300_000, matchers: { service: 'shop' }, repeat_interval: 60_000 });
    expect('horizon' in a).toBe(false);
    const f = ruleBody({ ...switchFamily(EMPTY_RULE, 'forecast', null), name: 'disk', matchers: { mount: '/', route: '*' } });
    expect(f).toMatchObject({ kind: 'forecast', metric: 'disk.usage.percent', window: 3600_000, horizon: 4 * 3600_000, matchers: { mount: '/' } });
    const fs = ruleBody({ ...switchFamily(EMPTY_RULE, 'forecast', null), metric: 'service.latency.p95', matchers: { mount: '/', route: '*' } });
    expect(fs.matchers).toEqual({ route: '*' });
    expect(familyOf(f as never)).toBe('forecast');
    expect(familyOf(a as never)).toBe('anomaly');
  });

  it("a forecast moved to a service signal takes the service rules' 1 min repeat interval, and back", () => {
    const disk = switchFamily(EMPTY_RULE, 'forecast', null);
    expect(ruleBody(disk).repeat_interval).toBe(300_000);
    const p95 = withMetric(disk, 'service.latency.p95');
    expect(ruleBody(p95)).toMatchObject({ metric: 'service.latency.p95', repeat_interval: 60_000 });
    expect(withMetric(p95, 'service.error_rate').repeat_interval).toBe(60_000);
    expect(withMetric(p95, 'disk.usage.percent').repeat_interval).toBe(300_000);
    // A chosen interval (an edited rule's) is kept.
    expect(withMetric({ ...disk, repeat_interval: 120_000 }, 'service.latency.p95').repeat_interval).toBe(120_000);
    expect(withMetric(EMPTY_RULE, 'memory.usage.percent').repeat_interval).toBe(300_000);
  });

  it('read as one line', () => {
    const base: RuleJson = { id: 'r', name: 'n', kind: 'forecast', metric: 'disk.usage.percent', matchers: { mount: '/' }, comparator: '>=', threshold: 95, for: 0, keep_firing_for: 0, repeat_interval: 300_000, severity: 'WARNING', channel_ids: [], enabled: true, window: 3600_000, short_window: null, slo_id: null, horizon: 4 * 3600_000, created_at: 1, updated_at: 2 };
    expect(describeRule(base)).toBe('disk.usage.percent mount=/ trend >= 95 within 4 h (fitted over 1 h)');
    expect(describeRule({ ...base, kind: 'anomaly', metric: 'service.error_rate', matchers: {}, threshold: 3, window: 900_000, horizon: null })).toBe('|z| of service.error_rate over 15 m >= 3');
  });
});
