import { describe, expect, it } from 'vitest';
import * as protocol from '../../../protocol/apm.ts';
import { PER_SECOND_MS, pointOfSecond, SERVICE_LIVE_PATH, serviceStatus, type LiveSecond, type WindowStats } from './apm.ts';

const w = (requests: number, errors: number): WindowStats => ({ requests, errors, errorRate: requests ? errors / requests : 0, rps: requests / 60, p50: null, p95: null, p99: null });

describe("the site's copies of protocol/apm.ts", () => {
  it('derive the same status and live path, and the same per-second span', () => {
    for (const [w1, w5] of [
      [w(0, 0), w(0, 0)],
      [w(0, 0), w(10, 0)],
      [w(100, 0), w(100, 0)],
      [w(100, 1), w(500, 1)],
      [w(100, 4), w(100, 4)],
      [w(100, 5), w(100, 5)],
      [w(3, 3), w(3, 3)],
    ] as const) {
      expect(serviceStatus(w1, w5)).toBe(protocol.serviceStatus(w1, w5));
    }
    expect(new Set([serviceStatus(w(0, 0), w(0, 0)), serviceStatus(w(100, 0), w(100, 0)), serviceStatus(w(100, 1), w(100, 1)), serviceStatus(w(100, 5), w(100, 5))])).toEqual(new Set(protocol.ServiceStatus.options));
    for (const name of ['checkout', 'a b/c?d', 'ünï']) expect(SERVICE_LIVE_PATH(name)).toBe(protocol.SERVICE_LIVE_PATH(name));
    expect(PER_SECOND_MS).toBe(protocol.APM_LIMITS.secondsKept * 1000);
  });
});

describe('a live second as a point', () => {
  const s: LiveSecond = { ts: 5000, requests: 4, errors: 1, p50: 1, p95: 2, p99: 3, routes: [{ route: 'GET /a', requests: 3, errors: 1, p50: 4, p95: 5, p99: 6 }] };
  it('takes the whole service, or one route, or an empty point for a route without requests that second', () => {
    expect(pointOfSecond(s, null)).toEqual({ ts: 5000, requests: 4, errors: 1, p50: 1, p95: 2, p99: 3 });
    expect(pointOfSecond(s, 'GET /a')).toEqual({ ts: 5000, requests: 3, errors: 1, p50: 4, p95: 5, p99: 6 });
    expect(pointOfSecond(s, 'GET /b')).toEqual({ ts: 5000, requests: 0, errors: 0, p50: null, p95: null, p99: null });
  });
});
