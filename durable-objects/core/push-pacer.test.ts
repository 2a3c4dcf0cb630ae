import { describe, expect, it } from 'vitest';
import { PushPacer } from './push-pacer.ts';
import { FakeClock } from '../../test/fake-clock.ts';

function setup(interval = 1000, early = 0) {
  const clock = new FakeClock();
  clock.early = early;
  const pushes: number[] = [];
  let waiting = false;
  const pacer = new PushPacer(
    (now) => {
      if (!waiting) return false;
      waiting = false;
      pushes.push(now);
      return true;
    },
    clock,
    interval,
  );
  const change = () => {
    waiting = true;
    pacer.offer(clock.now());
  };
  return { clock, pushes, pacer, change };
}

describe('PushPacer', () => {
  it('pushes the first change at once, holds the next until a second after, and pushes then without another change', () => {
    const { clock, pushes, pacer, change } = setup();
    const t0 = clock.now();
    change();
    expect(pushes).toEqual([t0]);
    clock.advance(100);
    change(); // too soon: held
    expect(pushes).toEqual([t0]);
    expect(pacer.armed()).toBe(true);
    clock.advance(899);
    expect(pushes).toEqual([t0]);
    clock.advance(1); // exactly at the mark, no batch needed
    expect(pushes).toEqual([t0, t0 + 1000]);
    expect(pacer.armed()).toBe(false);
  });

  it('never pushes twice within a second under a steady stream of changes, and pushes at each mark', () => {
    const { clock, pushes, change } = setup();
    // A change every 37 ms for 20 s (batches at ~27/s), at an odd phase.
    for (let i = 0; i < 540; i++) {
      change();
      clock.advance(37);
    }
    clock.advance(1000);
    const gaps = pushes.slice(1).map((p, i) => p - pushes[i]!);
    expect(gaps.length).toBeGreaterThan(18);
    expect(Math.min(...gaps)).toBe(1000);
    expect(Math.max(...gaps)).toBe(1000); // at the mark, not at the next change after it
  });

  it('leaves no timer set once nothing is waiting (an idle object may hibernate)', () => {
    const { clock, pushes, pacer, change } = setup();
    change();
    clock.advance(10);
    change();
    clock.advance(2000);
    expect(pushes.length).toBe(2);
    expect(pacer.armed()).toBe(false);
    expect(clock.pending()).toBe(0);
    // Next change long after: at once.
    change();
    expect(pushes.length).toBe(3);
    expect(pushes[2]! - pushes[1]!).toBeGreaterThan(1000);
  });

  it('a push that sent nothing does not count: the next change goes out at once', () => {
    const { clock, pushes, pacer } = setup();
    pacer.offer(clock.now()); // nothing waiting
    expect(pushes).toEqual([]);
    expect(pacer.lastPush()).toBe(-Infinity);
  });

  it('cancel clears a waiting timer', () => {
    const { clock, pushes, pacer, change } = setup();
    change();
    clock.advance(300);
    change();
    pacer.cancel();
    clock.advance(5000);
    expect(pushes.length).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it('a timer that fires early waits the rest instead of pushing early', () => {
    const { clock, pushes, change } = setup(1000, 2);
    change();
    clock.advance(10);
    change();
    clock.advance(998 - 10); // the timer ran at +998 and re-armed
    expect(pushes.length).toBe(1);
    clock.advance(2);
    expect(pushes.length).toBe(2);
    expect(pushes[1]! - pushes[0]!).toBe(1000);
  });

  // Timers late by 0-20 ms (a busy runtime thread), changes every 37 ms for 60 s.
  const lateCases: { name: string; late: (i: number) => number }[] = [
    { name: 'always 3 ms late', late: () => 3 },
    { name: 'late 0-20 ms at random', late: () => Math.floor(Math.random() * 21) },
    { name: 'late 20 ms, then on time, alternating', late: (i) => (i % 2 ? 0 : 20) },
  ];
  for (const c of lateCases) {
    it(`keeps to the one-second grid when timers run late (${c.name}): no drift, no two pushes within 950 ms`, () => {
      const { clock, pushes, change } = setup();
      let n = 0;
      clock.late = () => c.late(n++);
      for (let i = 0; i < 1620; i++) {
        change();
        clock.advance(37);
      }
      const gaps = pushes.slice(1).map((p, i) => p - pushes[i]!);
      expect(gaps.length).toBeGreaterThan(55);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(950);
      // Each push is its mark plus this timer's lateness only: the k-th push is at most 20 ms past t0 + k s.
      pushes.forEach((p, k) => expect(p - (pushes[0]! + k * 1000)).toBeGreaterThanOrEqual(0));
      pushes.forEach((p, k) => expect(p - (pushes[0]! + k * 1000)).toBeLessThanOrEqual(20));
    });
  }

  it('a push more than 50 ms past its mark starts a new grid (never two pushes within 950 ms)', () => {
    const { clock, pushes, change } = setup();
    change();
    clock.advance(10);
    clock.late = () => 120; // the thread was stuck: the timer set now runs at +1120
    change(); // held for the mark at +1000
    clock.advance(2000);
    clock.late = null;
    expect(pushes[1]! - pushes[0]!).toBe(1120);
    change(); // at +2010: the next mark is +2120 (a second after the late push), not +2000
    expect(pushes.length).toBe(2);
    clock.advance(110);
    expect(pushes.length).toBe(3);
    expect(pushes[2]! - pushes[1]!).toBe(1000);
  });

  it('data arriving after an idle mark goes out at once and sets the grid from there when more than 50 ms late', () => {
    const { clock, pushes, change, pacer } = setup();
    change();
    clock.advance(1030); // nothing waited at the mark: no timer
    change(); // 30 ms past the mark: pushed now, grid kept
    expect(pushes[1]! - pushes[0]!).toBe(1030);
    expect(pacer.dueAt()).toBe(pushes[0]! + 2000);
    clock.advance(5000);
    change(); // long past: pushed now, grid restarts here
    expect(pacer.dueAt()).toBe(clock.now() + 1000);
  });
});
