import { describe, expect, it } from 'vitest';
import { seededRandom } from './seeded.ts';
import { OTHER_ROUTE, SignalWindow } from './signals.ts';
import { LatencySketch, SKETCH_RELATIVE_ACCURACY, SketchFormatError } from './sketch.ts';

const T = 1_700_000_000; // fake "now", unix seconds
const sk = (...values: number[]) => LatencySketch.fromValues(values);
const within1pc = (got: number | null, want: number) => {
  expect(got).not.toBeNull();
  expect(Math.abs(got! - want) / want).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);
};

describe('SignalWindow stats', () => {
  // /a: 10 requests a second (1 error) for the whole 15 minutes; /b: 4 a second (2 errors), last 30 s.
  const w = new SignalWindow({ seconds: 900 });
  w.prune(T);
  for (let s = T - 899; s <= T; s++) {
    expect(w.add(s, '/a', 10, 1, sk(...Array.from({ length: 10 }, (_, k) => 1 + k)))).toBe(true);
    if (s > T - 30) expect(w.add(s, '/b', 4, 2, sk(100, 200, 300, 400))).toBe(true);
  }

  it.each([
    // window, route, requests, errors
    [60, '/a', 600, 60],
    [300, '/a', 3000, 300],
    [900, '/a', 9000, 900],
    [60, '/b', 120, 60],
    [900, '/b', 120, 60],
    [60, undefined, 720, 120],
    [900, undefined, 9120, 960],
  ])('%i s of %s', (windowSec, route, requests, errors) => {
    const st = w.stats(T, windowSec, route);
    expect(st).toMatchObject({ requests, errors, errorRate: errors / requests, rps: requests / windowSec });
  });

  it('percentiles come from the merged sketches', () => {
    // /a alone: values 1..10 ms -> p50 (rank floor(0.5 * 8999) = 4499 of 9000) is 5 ms.
    within1pc(w.stats(T, 900, '/a').p50, 5);
    within1pc(w.stats(T, 900, '/a').p99, 10);
    within1pc(w.stats(T, 60, '/b').p50, 200);
    // The service in the last minute: 600 values 1..10 and 120 of 100..400; p95 is in /b's.
    within1pc(w.stats(T, 60).p95, 300);
  });

  it('are not averaged over seconds: one slow second sets the minute p99', () => {
    const v = new SignalWindow({ seconds: 900 });
    const all: number[] = [];
    for (let s = T - 59; s <= T; s++) {
      const values = Array.from({ length: 100 }, (_, k) => (s === T - 7 ? 1000 + k : 10 + k / 100));
      all.push(...values);
      v.add(s, '/x', values.length, 0, sk(...values));
    }
    const st = v.stats(T, 60, '/x');
    const sorted = all.sort((a, b) => a - b);
    within1pc(st.p99, sorted[Math.floor(0.99 * (sorted.length - 1))]!);
    expect(st.p99).toBeGreaterThan(1000 * 0.99); // an average of per-second p99s would be ~27 ms
    within1pc(st.p50, sorted[Math.floor(0.5 * (sorted.length - 1))]!);
  });

  it('aggregate merges a window into one second-like record (a rollup row)', () => {
    const minute = w.aggregate(T, 60, '/b');
    expect([minute.count, minute.errors, minute.sketch.count]).toEqual([120, 60, 120]);
    expect(minute.sketch.toWire()).toEqual(LatencySketch.mergeAll(Array.from({ length: 30 }, () => sk(100, 200, 300, 400))).toWire());
    expect(w.aggregate(T - 30, 60, '/b').sketch.count).toBe(0);
  });

  it('a route without traffic in the window has zero requests and null percentiles', () => {
    const zero = { requests: 0, errors: 0, errorRate: 0, rps: 0, p50: null, p95: null, p99: null };
    expect(w.stats(T, 60, '/never')).toEqual(zero);
    expect(w.stats(T - 31, 60, '/b')).toEqual(zero); // /b's traffic starts at T - 29
    expect(w.stats(T - 29, 1, '/b').requests).toBe(4);
  });

  it('rps divides by the whole window, silent seconds included', () => {
    const v = new SignalWindow({ seconds: 900 });
    v.add(T, '/x', 30, 0, sk(5));
    expect(v.stats(T, 60).rps).toBe(0.5);
    expect(v.stats(T, 300).rps).toBe(0.1);
  });

  it.each([0, 901, 1.5, NaN])('rejects windowSec %s', (windowSec) => {
    expect(() => w.stats(T, windowSec)).toThrow(RangeError);
  });
});

describe('SignalWindow add', () => {
  it('adds up repeated adds of a second; the service total is the sum of its routes', () => {
    const w = new SignalWindow({ seconds: 60 });
    w.add(T, '/a', 2, 1, sk(1, 2));
    w.add(T, '/a', 1, 0, sk(3));
    w.add(T, '/b', 1, 1, sk(50));
    expect(w.second(T, '/a')).toMatchObject({ count: 3, errors: 1 });
    expect(w.second(T, '/a')!.sketch.count).toBe(3);
    const total = w.second(T)!;
    expect([total.count, total.errors, total.sketch.count, total.sketch.max]).toEqual([4, 2, 4, 50]);
    expect(w.second(T - 1)).toBeUndefined();
    expect(w.second(T, '/c')).toBeUndefined();
  });

  it('takes the wire form like a sketch, and a malformed one records nothing', () => {
    const a = new SignalWindow({ seconds: 60 });
    const b = new SignalWindow({ seconds: 60 });
    const s = sk(1, 20, 300);
    a.add(T, '/a', 3, 0, s);
    b.add(T, '/a', 3, 0, structuredClone(s.toWire()));
    expect(b.second(T, '/a')!.sketch.toWire()).toEqual(a.second(T, '/a')!.sketch.toWire());
    const bad = { ...s.toWire(), count: 99 };
    expect(() => b.add(T, '/a', 3, 0, bad)).toThrow(SketchFormatError);
    expect(b.second(T)!.count).toBe(3);
  });

  it("keeps its own copy of a caller's sketch", () => {
    const w = new SignalWindow({ seconds: 60 });
    const s = sk(5);
    w.add(T, '/a', 1, 0, s);
    s.add(5000);
    s.merge(sk(7000));
    expect(w.second(T, '/a')!.sketch.max).toBe(5);
    expect(w.second(T)!.sketch.count).toBe(1);
  });

  it('refuses a second older than the window (false) and keeps late ones inside it', () => {
    const w = new SignalWindow({ seconds: 60 });
    w.add(T, '/a', 1, 0, sk(1));
    expect(w.add(T - 60, '/a', 1, 0, sk(1))).toBe(false);
    expect(w.add(T - 59, '/a', 1, 0, sk(1))).toBe(true); // the oldest second still in the window
    expect(w.add(T - 30, '/a', 1, 0, sk(1))).toBe(true);
    expect(w.stats(T, 60).requests).toBe(3);
    expect(w.second(T - 60)).toBeUndefined();
  });

  it('after prune(now), refuses seconds more than maxAheadSec in the future', () => {
    const w = new SignalWindow({ seconds: 900, maxAheadSec: 60 });
    w.prune(T);
    expect(w.add(T + 61, '/a', 1, 0, sk(1))).toBe(false);
    expect(w.add(T + 60, '/a', 1, 0, sk(1))).toBe(true);
    // A far-future second, had it been taken, would have pushed the window past every real second.
    expect(w.add(T + 10 ** 9, '/a', 1, 0, sk(1))).toBe(false);
    expect(w.add(T, '/a', 1, 0, sk(1))).toBe(true);
  });

  it.each([
    ['errors above count', T, 1, 2],
    ['negative errors', T, 1, -1],
    ['a fractional count', T, 1.5, 0],
    ['a fractional second', T + 0.5, 1, 0],
  ])('throws RangeError for %s', (_name, second, count, errors) => {
    const w = new SignalWindow({ seconds: 60 });
    expect(() => w.add(second, '/a', count, errors, sk(1))).toThrow(RangeError);
    expect(w.routes()).toEqual([]);
  });

  it('folds routes past maxRoutes into OTHER_ROUTE until old ones leave the window', () => {
    const w = new SignalWindow({ seconds: 60, maxRoutes: 2 });
    w.prune(T);
    for (const r of ['/a', '/b', '/c', '/d']) w.add(T, r, 1, 0, sk(1));
    w.add(T, '/a', 1, 0, sk(1));
    expect(w.routes()).toEqual([OTHER_ROUTE, '/a', '/b']);
    expect(w.second(T, OTHER_ROUTE)!.count).toBe(2);
    expect(w.second(T, '/a')!.count).toBe(2);
    w.prune(T + 60);
    expect(w.routes()).toEqual([]);
    w.add(T + 60, '/e', 1, 0, sk(1));
    expect(w.routes()).toEqual(['/e']);
  });
});

describe('SignalWindow pruning', () => {
  it('drops seconds and routes that fell out of the window', () => {
    const w = new SignalWindow({ seconds: 900 });
    w.prune(T);
    w.add(T - 100, '/old', 5, 0, sk(1));
    w.add(T, '/new', 5, 0, sk(2));
    expect(w.routes()).toEqual(['/new', '/old']);
    w.prune(T + 799);
    expect(w.routes()).toEqual(['/new', '/old']);
    w.prune(T + 800);
    expect(w.routes()).toEqual(['/new']);
    expect(w.second(T - 100)).toBeUndefined();
    expect(w.stats(T + 800, 900).requests).toBe(5);
    // prune never moves the window back
    w.prune(T);
    expect(w.add(T - 100, '/old', 1, 0, sk(1))).toBe(false);
  });

  it('a slot reused by a second one window later holds only the newer one', () => {
    const w = new SignalWindow({ seconds: 60 });
    w.add(T, '/a', 7, 1, sk(1));
    w.add(T + 60, '/b', 3, 0, sk(2));
    expect(w.second(T)).toBeUndefined();
    expect(w.second(T + 60)).toMatchObject({ count: 3, errors: 0 });
    expect(w.stats(T + 60, 60)).toMatchObject({ requests: 3, errors: 0 });
    expect(w.routes()).toEqual(['/b']);
  });

  it('stays consistent with an exact count over a long random run', () => {
    const r = seededRandom(5);
    const w = new SignalWindow({ seconds: 300 });
    const truth = new Map<number, number>();
    for (let now = T; now < T + 2000; now++) {
      w.prune(now);
      for (let k = 0; k < 3; k++) {
        const s = now - Math.floor(r() * 400); // a quarter of them too old
        const n = 1 + Math.floor(r() * 5);
        const ok = w.add(s, r() < 0.5 ? '/a' : '/b', n, 0, sk(n));
        expect(ok).toBe(s > now - 300);
        if (ok) truth.set(s, (truth.get(s) ?? 0) + n);
      }
      if (now % 97 === 0) {
        let want = 0;
        for (const [s, n] of truth) if (s > now - 300) want += n;
        expect(w.stats(now, 300).requests).toBe(want);
      }
    }
  });
});

// aggregate merges whole aligned minutes from cached blocks; it must give what merging every
// second gives (dyadic latencies below: float sums are exact in any order, so sum compares too).
describe('SignalWindow minute blocks', () => {
  const ROUTES = ['/a', '/b', '/c', '/d', '/e'];
  const WINDOWS = [1, 59, 60, 61, 120, 150, 300, 599, 900];
  const M = T - (T % 60); // a minute start, for aligned cases

  function bruteForce(w: SignalWindow, nowSec: number, windowSec: number, route?: string) {
    let count = 0;
    let errors = 0;
    const list: LatencySketch[] = [];
    for (let s = nowSec - windowSec + 1; s <= nowSec; s++) {
      const rs = w.second(s, route);
      if (!rs) continue;
      count += rs.count;
      errors += rs.errors;
      list.push(rs.sketch);
    }
    return { count, errors, sketch: LatencySketch.mergeAll(list) };
  }

  function expectSame(w: SignalWindow, nowSec: number, windowSec: number, route?: string) {
    const want = bruteForce(w, nowSec, windowSec, route);
    const got = w.aggregate(nowSec, windowSec, route);
    const where = `now ${nowSec - T}, window ${windowSec}, route ${route}`;
    expect([got.count, got.errors, got.sketch.toWire()], where).toEqual([want.count, want.errors, want.sketch.toWire()]);
    const q = (s: LatencySketch, p: number) => (s.count === 0 ? null : s.quantile(p));
    const st = w.stats(nowSec, windowSec, route);
    expect([st.requests, st.errors, st.p50, st.p95, st.p99], where).toEqual([want.count, want.errors, q(want.sketch, 0.5), q(want.sketch, 0.95), q(want.sketch, 0.99)]);
    // A caller adding to the result must not change the window's cached blocks.
    got.sketch.add(123_456);
    got.sketch.merge(sk(0.25, 99));
  }

  /** Every window size, route and end second in [from, to]. */
  function checkAll(w: SignalWindow, from: number, to: number, seconds = 900) {
    for (let now = from; now <= to; now++) {
      for (const windowSec of WINDOWS) {
        if (windowSec > seconds) continue;
        for (const route of [undefined, ...ROUTES, OTHER_ROUTE, '/never']) expectSame(w, now, windowSec, route);
      }
    }
  }

  const put = (w: SignalWindow, s: number, route: string, ...values: number[]) => w.add(s, route, values.length + 1, 1, sk(...values));

  it.each<[string, (w: SignalWindow) => void]>([
    ['an add into a cached minute (its route and the total)', (w) => {
      for (let s = M - 120; s < M; s++) put(w, s, '/a', 1, 2.5);
      checkAll(w, M - 2, M);
      put(w, M - 30, '/a', 700);
      checkAll(w, M - 2, M);
      put(w, M - 90, '/b', 0.5, 40); // another route: /a's block stays, the total's goes
      checkAll(w, M - 2, M);
    }],
    ['late adds into old seconds of cached minutes', (w) => {
      w.prune(M + 600);
      for (let s = M; s <= M + 600; s += 7) put(w, s, '/c', 8);
      checkAll(w, M + 598, M + 600);
      for (const s of [M + 1, M + 59, M + 60, M + 300]) {
        expect(put(w, s, '/c', 16, 0)).toBe(true);
        checkAll(w, M + 599, M + 600);
      }
    }],
    ['prune moving the window edge through a minute', (w) => {
      w.prune(M + 900);
      for (let s = M + 1; s <= M + 900; s++) put(w, s, s % 2 ? '/a' : '/d', s % 97);
      checkAll(w, M + 899, M + 900);
      for (let now = M + 901; now <= M + 1022; now += 3) {
        w.prune(now);
        for (const windowSec of WINDOWS) for (const route of [undefined, '/a', '/d']) expectSame(w, now, windowSec, route);
      }
    }],
    ['an add that moves the window end (no prune) past a cached minute', (w) => {
      for (let s = M; s < M + 120; s++) put(w, s, '/e', 3);
      checkAll(w, M + 119, M + 119);
      put(w, M + 900 + 30, '/e', 5); // M .. M + 30 fall out of the window
      checkAll(w, M + 118, M + 120);
      checkAll(w, M + 929, M + 931);
    }],
    ['empty seconds and minutes, queries past the newest second', (w) => {
      w.prune(M + 300);
      put(w, M + 61, '/b', 2);
      put(w, M + 179, '/b');
      checkAll(w, M + 170, M + 310);
    }],
  ])('%s', (_name, run) => run(new SignalWindow({ seconds: 900 })));

  it.each([
    [900, 100],
    [150, 3], // a window that is not whole minutes; routes folding into OTHER_ROUTE
    [61, 2],
  ])('matches a per-second merge over a random run (window %i s, %i routes)', (seconds, maxRoutes) => {
    const r = seededRandom(seconds);
    const w = new SignalWindow({ seconds, maxRoutes });
    const pick = <V>(xs: readonly V[]) => xs[Math.floor(r() * xs.length)]!;
    const dyadic = () => (r() < 0.05 ? 0 : Math.floor(r() * 4000) / 4);
    let now = T;
    for (let step = 0; step < 400; step++) {
      now += r() < 0.05 ? 40 + Math.floor(r() * 200) : Math.floor(r() * 4);
      if (r() < 0.7) w.prune(now);
      for (let k = Math.floor(r() * 6); k > 0; k--) {
        const s = now - Math.floor(r() * (seconds + 20)) + 3; // late, too old, slightly ahead
        const values = Array.from({ length: Math.floor(r() * 5) }, dyadic);
        const count = values.length + Math.floor(r() * 2);
        w.add(s, pick(ROUTES), count, Math.floor(r() * (count + 1)), sk(...values));
      }
      // The push's windows every step (so minutes get cached, then hit by adds), and random ones.
      for (const windowSec of [60, 300, 900]) if (windowSec <= seconds) expectSame(w, now, windowSec);
      for (let k = 0; k < 6; k++) {
        const windowSec = Math.min(seconds, pick(WINDOWS));
        expectSame(w, now - Math.floor(r() * (seconds + 60)) + 5, windowSec, pick([undefined, ...ROUTES, OTHER_ROUTE, '/never']));
      }
    }
  });

  it('sums of arbitrary float latencies differ at most by rounding (blocks add in another order)', () => {
    const r = seededRandom(11);
    const w = new SignalWindow({ seconds: 900 });
    for (let s = M - 899; s <= M; s++) w.add(s, '/a', 3, 0, sk(r() * 300, r() * 300, r() * 300));
    const want = bruteForce(w, M - 1, 900, '/a').sketch;
    const got = w.aggregate(M - 1, 900, '/a').sketch;
    expect(Math.abs(got.sum - want.sum) / want.sum).toBeLessThan(1e-12);
    expect({ ...got.toWire(), sum: 0 }).toEqual({ ...want.toWire(), sum: 0 });
  });

  it('keeps at most a block per whole minute of the window for each route with traffic and the total', () => {
    const w = new SignalWindow({ seconds: 900, maxRoutes: 4 });
    let route = 0;
    for (let now = T; now < T + 3600; now++) {
      w.prune(now);
      put(w, now, `/r${Math.floor(route++ / 300)}`, 5); // a new route every 5 minutes
      for (const windowSec of [60, 300, 900]) for (const rt of [undefined, ...w.routes()]) w.stats(now, windowSec, rt);
    }
    const minutes = (w as unknown as { minutes: ({ total?: unknown; routes: Map<string, unknown> } | undefined)[] }).minutes;
    const blocks = minutes.reduce((n, ms) => n + (ms ? ms.routes.size + (ms.total ? 1 : 0) : 0), 0);
    expect(minutes.length).toBe(16);
    expect(blocks).toBeLessThanOrEqual(16 * (w.routes().length + 1));
    for (const ms of minutes) for (const r of ms?.routes.keys() ?? []) expect(w.routes()).toContain(r);
  });
});
