import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/fake-clock.ts';
import { SilenceTimer } from './silence-timer.ts';

const TICK = 5000;
const IDLE = 60_000; // the work stops asking this long after the last arm (the object's 15 min)

/**
 * The object's use: arm() on each batch; the work scores and answers the next tick until IDLE
 * after the last batch, as ServiceAnomalies.tickAt does with lastSeen.
 */
function setup(early = 0) {
  const clock = new FakeClock();
  clock.early = early;
  const runs: number[] = [];
  let lastSeen: number | null = null;
  const timer = new SilenceTimer(
    (now) => {
      runs.push(now - clock.origin);
      return lastSeen !== null && now - lastSeen < IDLE ? now + TICK : null;
    },
    clock,
    TICK,
  );
  const batch = () => {
    lastSeen = clock.now();
    timer.arm(clock.now());
  };
  return { clock, runs, timer, batch };
}

type Step = ['batch'] | ['advance', number] | ['stop'];

const cases: { name: string; steps: Step[]; runs: number[]; armed: boolean; pending?: number; early?: number }[] = [
  { name: 'nothing armed: never runs, no timer', steps: [['advance', 60_000]], runs: [], armed: false, pending: 0 },
  { name: 'one batch: runs TICK after it, not before', steps: [['batch'], ['advance', TICK - 1]], runs: [], armed: true },
  { name: 'one batch: runs at TICK, then every TICK', steps: [['batch'], ['advance', 3 * TICK]], runs: [TICK, 2 * TICK, 3 * TICK], armed: true },
  {
    name: 'a batch before the tick moves it: TICK after the last batch',
    steps: [['batch'], ['advance', 3000], ['batch'], ['advance', TICK - 1]],
    runs: [],
    armed: true,
  },
  { name: 'a batch before the tick moves it (runs then)', steps: [['batch'], ['advance', 3000], ['batch'], ['advance', TICK]], runs: [3000 + TICK], armed: true },
  {
    name: 'steady traffic (a batch every 200 ms for 7 s): no run while it flows, the first TICK after the last batch',
    steps: [...Array.from({ length: 35 }, (): Step[] => [['batch'], ['advance', 200]]).flat(), ['advance', TICK - 200 - 1]],
    runs: [],
    armed: true,
  },
  {
    name: 'steady traffic then silence: runs at last batch + TICK, + 2 TICK',
    steps: [...Array.from({ length: 35 }, (): Step[] => [['batch'], ['advance', 200]]).flat(), ['advance', 2 * TICK - 200]],
    runs: [6800 + TICK, 6800 + 2 * TICK],
    armed: true,
  },
  {
    name: 'stops once the work answers null (IDLE after the last batch): no timer left set',
    steps: [['batch'], ['advance', IDLE + 3 * TICK]],
    runs: Array.from({ length: IDLE / TICK }, (_, i) => (i + 1) * TICK),
    armed: false,
    pending: 0,
  },
  {
    name: 'a batch after it stopped starts it again',
    steps: [['batch'], ['advance', IDLE + 3 * TICK], ['batch'], ['advance', TICK]],
    runs: [...Array.from({ length: IDLE / TICK }, (_, i) => (i + 1) * TICK), IDLE + 3 * TICK + TICK],
    armed: true,
  },
  { name: 'stop clears the timer', steps: [['batch'], ['advance', 1000], ['stop'], ['advance', 30_000]], runs: [], armed: false, pending: 0 },
  {
    name: 'a timer that fires early waits the rest instead of running early',
    steps: [['batch'], ['advance', TICK - 2]],
    runs: [],
    armed: true,
    early: 2,
  },
  { name: 'a timer that fires early runs at the deadline', steps: [['batch'], ['advance', TICK]], runs: [TICK], armed: true, early: 2 },
];

describe('SilenceTimer', () => {
  it.each(cases)('$name', ({ steps, runs, armed, pending, early }) => {
    const x = setup(early);
    for (const s of steps) {
      if (s[0] === 'batch') x.batch();
      else if (s[0] === 'advance') x.clock.advance(s[1]);
      else x.timer.stop();
    }
    expect(x.runs).toEqual(runs);
    expect(x.timer.armed()).toBe(armed);
    expect(x.timer.dueAt() !== null).toBe(armed);
    expect(x.timer.count()).toBe(runs.length);
    if (pending !== undefined) expect(x.clock.pending()).toBe(pending);
    expect(x.clock.pending()).toBeLessThanOrEqual(1); // never more than one timer
  });

  it('under steady traffic it sets one timer per TICK, not one per batch', () => {
    const x = setup();
    for (let i = 0; i < 150; i++) {
      x.batch(); // 5 batches a second for 30 s
      x.clock.advance(200);
    }
    expect(x.runs).toEqual([]);
    expect(x.clock.sets).toBeLessThanOrEqual(30_000 / TICK + 1);
  });

  it('arm(now, at) with an earlier `at` than the timer set brings it forward', () => {
    const x = setup();
    x.batch();
    x.timer.arm(x.clock.now(), x.clock.now() + 100);
    x.clock.advance(100);
    expect(x.runs).toEqual([100]);
    expect(x.clock.pending()).toBe(1);
  });
});
