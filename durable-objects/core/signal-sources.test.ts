// Which source counts when a service sends both server spans and duration histograms: fake-time
// tables of both orders, the switch back after the precedence time, and a restart that lost the
// lazily saved span progress.
import { describe, expect, it } from 'vitest';
import { EMPTY_SOURCES, SignalSources } from './signal-sources.ts';

const P = 5 * 60_000;
const T = 1_800_000_000_000; // an epoch ms, on a whole second
const sec = (ms: number) => Math.floor(ms / 1000);
const entries = (...secs: number[]) => secs.map((s) => ({ sec: s }));

describe('SignalSources', () => {
  it('spans first: a histogram point over the same time is ignored, and still is while spans keep coming', () => {
    const s = new SignalSources(EMPTY_SOURCES, P);
    expect(s.admitSpans(entries(sec(T) - 30, sec(T) - 1), T).kept).toHaveLength(2);
    expect(s.admitsHistogram(T - 60_000, T + 5_000)).toBe(false); // spans within 5 min
    // Even a point that begins after the last span second waits out the precedence time.
    expect(s.admitsHistogram(T + 1_000, T + 60_000)).toBe(false);
    expect(s.admitsHistogram(T + 1_000, T + P)).toBe(true);
    // But not one that overlaps the spans' seconds, however late it comes.
    expect(s.admitsHistogram(T - 10_000, T + 2 * P)).toBe(false);
  });

  it('histogram first: spans of the seconds it covered are dropped, later ones kept', () => {
    const s = new SignalSources(EMPTY_SOURCES, P);
    expect(s.admitsHistogram(T - 60_000, T)).toBe(true);
    s.countedHistogram(T);
    const { kept } = s.admitSpans(entries(sec(T) - 20, sec(T), sec(T) + 1, sec(T) + 4), T + 5_000);
    expect(kept.map((e) => e.sec)).toEqual([sec(T) + 1, sec(T) + 4]);
    // From now on spans win: the next histogram point overlaps counted span seconds.
    expect(s.admitsHistogram(T, T + 60_000)).toBe(false);
    // All of a batch may be dropped (nothing to count, nothing to note).
    const s2 = new SignalSources(EMPTY_SOURCES, P);
    s2.countedHistogram(T);
    expect(s2.admitSpans(entries(sec(T) - 1), T)).toEqual({ kept: [], save: false });
    expect(s2.state().spansAt).toBeNull();
  });

  it('saves span progress at most once a minute (or when it moved a minute), histogram progress always', () => {
    const s = new SignalSources(EMPTY_SOURCES, P);
    expect(s.admitSpans(entries(sec(T)), T).save).toBe(true);
    s.markSaved();
    expect(s.admitSpans(entries(sec(T) + 10), T + 10_000).save).toBe(false);
    expect(s.admitSpans(entries(sec(T) + 30), T + 30_000).save).toBe(false);
    expect(s.admitSpans(entries(sec(T) + 61), T + 61_000).save).toBe(true);
    s.markSaved();
    // Spans dated far ahead move spanSec a minute at once: saved at once too.
    expect(s.admitSpans(entries(sec(T) + 200), T + 62_000).save).toBe(true);
  });

  it('after a restart, unsaved span progress is assumed: a histogram point that might overlap it is dropped', () => {
    const s = new SignalSources(EMPTY_SOURCES, P);
    s.admitSpans(entries(sec(T)), T);
    s.markSaved();
    const persisted = s.state();
    s.admitSpans(entries(sec(T) + 50), T + 50_000); // not saved (within the minute)
    const restarted = new SignalSources(persisted, P);
    // A point beginning at T + 40 s overlaps the unsaved spans at T + 50 s: dropped.
    expect(restarted.admitsHistogram(T + 40_000, T + 50_000 + P + 1)).toBe(false);
    expect(new SignalSources(s.state(), P, 60_000).admitsHistogram(T + 40_000, T + 50_000 + P + 61_000)).toBe(false);
    // Past every bound, a later point counts again.
    expect(restarted.admitsHistogram(T + 62_000, T + 60_000 + P + 1)).toBe(true);
    // The bounds are not persisted: state() is what was seen.
    expect(restarted.state()).toEqual(persisted);
  });
});
