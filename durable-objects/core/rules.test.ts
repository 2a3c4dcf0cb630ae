import { describe, expect, it } from 'vitest';
import { groupByChannel, nextAttemptAt, parseSchedule, TokenBucket, type AlertNotice } from './notify.ts';
import {
  alertLabels,
  breaches,
  decideNotice,
  DEFAULT_RULES,
  globMatch,
  isSilenced,
  markNotified,
  matchesSeries,
  step,
  vanish,
  type Comparator,
  type Rule,
  type SeriesState,
} from './rules.ts';

const S = 1000;
const MIN = 60 * S;
const base: Rule = {
  id: 'r1',
  name: 'cpu high',
  metric: 'cpu.usage.total',
  matchers: {},
  comparator: '>',
  threshold: 80,
  forMs: 10 * S,
  keepFiringForMs: 0,
  severity: 'WARNING',
  channelIds: [],
  enabled: true,
};

/** Runs samples [ts, value] through step and returns the events and final state. */
function run(rule: Rule, samples: [number, number][], start?: SeriesState) {
  let state = start;
  let n = 0;
  const events: string[] = [];
  for (const [ts, v] of samples) {
    const r = step(rule, state, v, ts, () => `ep${++n}`);
    state = r.state;
    events.push(r.event ?? '-');
  }
  return { events, state: state! };
}

describe('globMatch and matchesSeries', () => {
  it.each([
    ['*', '', true],
    ['*', 'anything', true],
    ['web-*', 'web-1', true],
    ['web-*', 'db-1', false],
    ['*-1', 'web-1', true],
    ['/var/*/log', '/var/x/log', true],
    ['/var/*/log', '/var/x/logs', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['ab*ab', 'ab', false],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
    ['.', 'x', false], // not a regex
  ])('%s ~ %s = %s', (p, v, want) => expect(globMatch(p, v)).toBe(want));

  it('matches host and series labels; a missing label does not match', () => {
    expect(matchesSeries({}, 'web-1', {})).toBe(true);
    expect(matchesSeries({ host: 'web-*' }, 'web-1', {})).toBe(true);
    expect(matchesSeries({ host: 'web-*' }, 'db-1', {})).toBe(false);
    expect(matchesSeries({ mount: '/' }, 'h', { mount: '/' })).toBe(true);
    expect(matchesSeries({ mount: '/' }, 'h', { mount: '/data' })).toBe(false);
    expect(matchesSeries({ mount: '*' }, 'h', {})).toBe(false);
    expect(matchesSeries({ host: 'h', core: '1' }, 'h', { core: '1' })).toBe(true);
  });
});

describe('breaches', () => {
  const table: [Comparator, number, boolean][] = [
    ['>', 80, false],
    ['>', 80.1, true],
    ['>=', 80, true],
    ['<', 80, false],
    ['<', 79, true],
    ['<=', 80, true],
    ['==', 80, true],
    ['==', 80.5, false],
  ];
  it.each(table)('value %s threshold 80: %s %s', (cmp, v, want) => expect(breaches(cmp, v, 80)).toBe(want));
});

describe('state machine', () => {
  it.each<[string, Partial<Rule>, [number, number][], string[], string]>([
    ['fires after `for` and resolves', {}, [[0, 90], [5 * S, 90], [10 * S, 90], [15 * S, 50]], ['pending', '-', 'firing', 'resolved'], 'inactive'],
    ['pending clears without firing', {}, [[0, 90], [5 * S, 50], [10 * S, 90]], ['pending', '-', 'pending'], 'pending'],
    ['for 0 fires on the first sample', { forMs: 0 }, [[0, 90], [5 * S, 91]], ['firing', '-'], 'firing'],
    ['below threshold stays inactive', {}, [[0, 10], [5 * S, 80]], ['-', '-'], 'inactive'],
    [
      'keep_firing_for holds through a dip',
      { forMs: 0, keepFiringForMs: 10 * S },
      [[0, 90], [5 * S, 50], [10 * S, 90], [15 * S, 50], [19 * S, 50], [20 * S, 50]],
      ['firing', '-', '-', '-', '-', 'resolved'],
      'inactive',
    ],
    ['older samples are ignored', { forMs: 0 }, [[10 * S, 90], [5 * S, 10], [10 * S, 10]], ['firing', '-', '-'], 'firing'],
    ['< comparator', { comparator: '<', threshold: 10, forMs: 0 }, [[0, 5], [S, 15]], ['firing', 'resolved'], 'inactive'],
  ])('%s', (_name, over, samples, events, final) => {
    const r = run({ ...base, ...over }, samples);
    expect(r.events).toEqual(events);
    expect(r.state.status).toBe(final);
  });

  it('starts a new episode each time it fires', () => {
    const r = run({ ...base, forMs: 0 }, [[0, 90], [S, 10], [2 * S, 90]]);
    expect(r.state.episodeId).toBe('ep2');
    expect(r.state.firedAt).toBe(2 * S);
  });

  it('resumes from a persisted pending state (restart between pending and firing)', () => {
    const first = run(base, [[0, 90]]);
    const restored = JSON.parse(JSON.stringify(first.state)) as SeriesState;
    // JSON turns -Infinity into null; lastTs is a number once a sample was seen.
    expect(restored.lastTs).toBe(0);
    const second = run(base, [[10 * S, 95]], restored);
    expect(second.events).toEqual(['firing']);
    expect(second.state.activeAt).toBe(0);
  });
});

describe('repeat interval and notices', () => {
  const rule = { ...base, forMs: 0 };
  /** Drives samples and records the notice each step would send. */
  function notices(samples: [number, number, boolean?][], repeatMs = 5 * MIN) {
    let state: SeriesState | undefined;
    let n = 0;
    const out: string[] = [];
    for (const [ts, v, silenced] of samples) {
      const r = step(rule, state, v, ts, () => `ep${++n}`);
      state = r.state;
      const notice = decideNotice(state, r.event, ts, silenced ?? false, repeatMs);
      if (notice && notice !== 'resolved') state = markNotified(state, ts);
      out.push(notice ?? '-');
    }
    return out;
  }

  it('notifies once, repeats after the interval, and sends a resolve notice', () => {
    expect(notices([[0, 90], [MIN, 90], [4 * MIN, 90], [5 * MIN, 90], [6 * MIN, 90], [7 * MIN, 10]])).toEqual(['firing', '-', '-', 'repeat', '-', 'resolved']);
  });

  it('does not re-announce a flapping series within the interval, nor resolve what it never announced', () => {
    expect(notices([[0, 90], [S, 10], [2 * S, 90], [3 * S, 10], [6 * MIN, 90]])).toEqual(['firing', 'resolved', '-', '-', 'firing']);
  });

  it('announces a suppressed episode once the interval has passed while it still fires', () => {
    expect(notices([[0, 90], [S, 10], [2 * S, 90], [5 * MIN, 90], [5 * MIN + S, 10]])).toEqual(['firing', 'resolved', '-', 'firing', 'resolved']);
  });

  it('silence mutes the notice but the alert still fires; it is announced when the silence ends', () => {
    expect(notices([[0, 90, true], [MIN, 90, true], [2 * MIN, 90, false], [3 * MIN, 10]])).toEqual(['-', '-', 'firing', 'resolved']);
    expect(notices([[0, 90, true], [MIN, 10, true]])).toEqual(['-', '-']);
  });
});

describe('silences', () => {
  const sil = (matchers: Record<string, string>, startsAt = 0, endsAt = 10 * MIN) => ({ id: 's', matchers, startsAt, endsAt });
  const labels = alertLabels({ ...base, severity: 'CRITICAL' }, 'web-1', { mount: '/data' });
  it.each<[string, Record<string, string>, number, boolean]>([
    ['host match', { host: 'web-1' }, MIN, true],
    ['host glob', { host: 'web-*' }, MIN, true],
    ['other host', { host: 'db-1' }, MIN, false],
    ['rule id', { rule: 'r1' }, MIN, true],
    ['all matchers must match', { host: 'web-1', severity: 'WARNING' }, MIN, false],
    ['series label', { mount: '/data' }, MIN, true],
    ['unknown label', { device: 'sda' }, MIN, false],
    ['before window', { host: 'web-1' }, -1, false],
    ['at end (exclusive)', { host: 'web-1' }, 10 * MIN, false],
    ['empty matchers silence nothing', {}, MIN, false],
  ])('%s', (_n, matchers, now, want) => expect(isSilenced([sil(matchers)], labels, now)).toBe(want));
});

describe('delivery policy', () => {
  it('backs off through the schedule then gives up', () => {
    expect(nextAttemptAt(1, 100, [10, 20])).toBe(110);
    expect(nextAttemptAt(2, 100, [10, 20])).toBe(120);
    expect(nextAttemptAt(3, 100, [10, 20])).toBeNull();
    expect(parseSchedule('50, 100')).toEqual([50, 100]);
    expect(parseSchedule('x')).toHaveLength(5);
  });

  it('token bucket allows a burst then one per refill', () => {
    const b = new TokenBucket(2, 1000, 0);
    expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBe(1000);
    expect(b.take(500)).toBe(1000);
    expect(b.take(1000)).toBe(1000);
  });

  it('groups notices per channel', () => {
    const n = (id: string, channelIds: string[]) => ({ episodeId: id, channelIds }) as AlertNotice;
    const g = groupByChannel([n('a', ['c1', 'c2']), n('b', ['c1'])]);
    expect([...g.entries()].map(([c, l]) => [c, l.map((x) => x.episodeId)])).toEqual([
      ['c1', ['a', 'b']],
      ['c2', ['a']],
    ]);
  });
});

describe('default rules', () => {
  it('follow spec §3.3', () => {
    const brief = DEFAULT_RULES.map((r) => `${r.metric} ${r.comparator} ${r.threshold} ${r.forMs / MIN}m ${r.severity}`);
    expect(brief).toEqual([
      'cpu.usage.total > 80 5m WARNING',
      'cpu.usage.total > 95 2m CRITICAL',
      'memory.usage.percent > 85 0m WARNING',
      'memory.usage.percent > 95 0m CRITICAL',
      'disk.usage.percent > 80 0m WARNING',
      'disk.usage.percent > 90 0m CRITICAL',
      'cpu.usage.iowait > 50 5m WARNING',
      'host.up == 0 1m CRITICAL',
    ]);
  });
});

describe('vanish (a series looked for with no value)', () => {
  const ids = () => 'ep1';
  const fire = (rule: Rule) => {
    let st: SeriesState | undefined;
    for (let t = 0; t <= rule.forMs; t += 5 * S) st = step(rule, st, 95, t, ids).state;
    return st!;
  };
  it.each([
    { name: 'firing, no keep_firing_for: resolves', keep: 0, at: 10 * S, status: 'inactive', event: 'resolved' },
    { name: 'firing, within keep_firing_for: held, nothing recorded', keep: 30 * S, at: 20 * S, status: 'firing', event: null },
    { name: 'firing, keep_firing_for run out: resolves', keep: 30 * S, at: 5 * MIN + 31 * S, status: 'inactive', event: 'resolved' },
  ])('$name', ({ keep, at, status, event }) => {
    const rule = { ...base, forMs: 5 * MIN, keepFiringForMs: keep };
    const st = fire(rule);
    expect(st.status).toBe('firing');
    const r = vanish(rule, st, Math.max(at, st.lastTs + 1));
    expect({ status: r.state.status, event: r.event, changed: r.changed }).toEqual({ status, event, changed: event !== null });
    if (event) expect(r.state.value).toBe(95); // the resolve keeps the last value seen
  });
  it('a pending series ends without an event; an unknown or inactive one is left alone', () => {
    const rule = { ...base, forMs: 5 * MIN };
    const pending = step(rule, undefined, 95, 0, ids).state;
    expect(pending.status).toBe('pending');
    expect(vanish(rule, pending, 10 * S)).toMatchObject({ event: null, changed: true, state: { status: 'inactive', activeAt: null } });
    expect(vanish(rule, undefined, 10 * S).changed).toBe(false);
    const quiet = step(rule, undefined, 10, 0, ids).state;
    expect(vanish(rule, quiet, 10 * S)).toMatchObject({ event: null, changed: false });
  });
});
