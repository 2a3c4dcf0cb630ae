import { describe, expect, it } from 'vitest';
import { checkWithinMs, DEFAULT_WATCH_OPTIONS as O, earlyMs, needsOwnAlarm, watchPeriod, watchShardName } from './watch-period.ts';

describe('watchPeriod', () => {
  it('is `for` less the silence threshold and the slack, between the floor and the ceiling', () => {
    expect(watchPeriod(60_000)).toBe(40_000);
    expect(watchPeriod(30_000)).toBe(10_000);
    expect(watchPeriod(1_000)).toBe(10_000);
    expect(watchPeriod(15 * 60_000)).toBe(60_000);
    expect(watchPeriod(5000, { ...O, minPeriodMs: 200, maxPeriodMs: 2000, silenceMs: 600, slackMs: 400 })).toBe(2000);
    expect(checkWithinMs(40_000)).toBe(45_000);
  });
});

describe('watchShardName', () => {
  it('is stable, within 0..N-1, and spreads a fleet over the shards', () => {
    const names = Array.from({ length: 800 }, (_, i) => `tenant-${i % 7}:host-${i}`);
    const counts = new Map<string, number>();
    for (const n of names) {
      expect(watchShardName(n, 8)).toBe(watchShardName(n, 8));
      expect(watchShardName(n, 8)).toMatch(/^watch:[0-7]$/);
      counts.set(watchShardName(n, 8), (counts.get(watchShardName(n, 8)) ?? 0) + 1);
    }
    expect(counts.size).toBe(8);
    for (const c of counts.values()) expect(c).toBeGreaterThan(50); // 100 each on average
    expect(watchShardName('t:h', 1)).toBe('watch:0');
    // A host may be asked early by a quarter of its period, at most the slack.
    expect(earlyMs(40_000)).toBe(5000);
    expect(earlyMs(10_000)).toBe(2500);
  });
});

interface Run {
  forMs: number;
  /** When the host's frames stop (the last one arrives at or before it). */
  silentFrom: number;
  /** When frames start again (Infinity: never). */
  resumeAt?: number;
  /** The watchdog's first tick. */
  phase: number;
  /** How late each host's check comes after its tick (0..slack), by tick number. */
  lateness: (k: number) => number;
  /** Arm the host's own alarm (false: the design before, the tick alone). */
  arm?: boolean;
}

const INTERVAL = 5000;
const END = 30 * 60_000;

/**
 * Fake time: an agent sending every 5 s (arrivals jittered by up to 1 s), a watchdog ticking
 * once a period, the host deciding at each check as HostObject.watchdogCheck does, and its own
 * alarm raising the alert at its time when no frame came since. Returns the last frame before
 * the silence, when the alert fired (null: never) and the host's setAlarm calls for host down.
 */
function simulate(r: Run) {
  const frames: number[] = [];
  for (let t = 0, i = 0; t < END; t += INTERVAL, i++) {
    const at = t + ((i * 7919) % 1000); // deterministic jitter
    if (at <= r.silentFrom || at >= (r.resumeAt ?? Infinity)) frames.push(at);
  }
  const lastBefore = (t: number) => frames.filter((f) => f <= t).at(-1)!;
  const period = watchPeriod(r.forMs);
  const within = checkWithinMs(period);
  let alarm: number | null = null;
  let arms = 0;
  let fired: number | null = null;
  const events: { at: number; kind: 'check' | 'alarm' }[] = [];
  for (let k = 0, t = r.phase; t < END; k++, t += period) events.push({ at: t + r.lateness(k), kind: 'check' });
  const deadline = (t: number) => lastBefore(t) + r.forMs;
  for (let i = 0; i < events.length && fired === null; i++) {
    events.sort((a, b) => a.at - b.at);
    const e = events[i]!;
    if (e.at >= END) break;
    if (e.at >= deadline(e.at)) {
      fired = e.at;
      break;
    }
    if (e.kind === 'alarm') {
      alarm = null;
      continue;
    }
    const d = deadline(e.at);
    if (r.arm !== false && needsOwnAlarm(d, e.at, within) && (alarm === null || alarm > d)) {
      alarm = d;
      arms++;
      events.push({ at: d, kind: 'alarm' });
    }
  }
  return { last: lastBefore(r.silentFrom), fired, arms };
}

const onTime = () => 0;
const late = (k: number) => (k % 2 ? O.slackMs : 0); // the worst alternation the slack allows
const random = (k: number) => ((k * 2654435761) >>> 0) % (O.slackMs + 1);

describe('host down on a silent open stream (fake time)', () => {
  const table = [
    { forMs: 60_000, lateness: onTime },
    { forMs: 60_000, lateness: late },
    { forMs: 60_000, lateness: random },
    { forMs: 30_000, lateness: late },
    { forMs: 45_000, lateness: random },
    { forMs: 5 * 60_000, lateness: late },
    { forMs: 20_000, lateness: late }, // below S + slack + the floor: still exact
  ];
  for (const row of table) {
    it(`fires at exactly last frame + ${row.forMs / 1000} s, whatever the silence's phase (${row.lateness.name})`, () => {
      for (let phase = 0; phase < watchPeriod(row.forMs); phase += 700) {
        for (const silentFrom of [600_000, 600_000 + 2500, 601_234, 777_777]) {
          const r = simulate({ forMs: row.forMs, silentFrom, phase, lateness: row.lateness });
          expect(r.fired, `phase ${phase}, silence from ${silentFrom}`).toBe(r.last + row.forMs);
          if (row.forMs >= O.silenceMs + O.slackMs + O.minPeriodMs) expect(r.arms).toBeLessThanOrEqual(1);
        }
      }
    });
  }

  it('without the host arming its own alarm, the tick alone is up to one period late (the design before)', () => {
    const lateBy = [];
    for (let phase = 0; phase < watchPeriod(60_000); phase += 700) {
      const r = simulate({ forMs: 60_000, silentFrom: 600_000, phase, lateness: onTime, arm: false });
      lateBy.push(r.fired! - (r.last + 60_000));
    }
    expect(Math.max(...lateBy)).toBeGreaterThan(watchPeriod(60_000) - 1000);
  });

  it('a healthy stream arms nothing; a silence that ends before the deadline fires nothing, at one setAlarm', () => {
    let armed = 0;
    for (let phase = 0; phase < 40_000; phase += 900) {
      expect(simulate({ forMs: 60_000, silentFrom: END, phase, lateness: random })).toMatchObject({ fired: null, arms: 0 });
      // 40 s of silence: a check past S arms the alarm (if one lands there); frames come back before the deadline.
      const r = simulate({ forMs: 60_000, silentFrom: 600_000, resumeAt: 640_000, phase, lateness: random });
      expect(r.fired).toBeNull();
      expect(r.arms).toBeLessThanOrEqual(1);
      armed += r.arms;
    }
    expect(armed).toBeGreaterThan(0);
  });
});
