import { describe, expect, it } from 'vitest';
import { Spool } from './spool.ts';

describe('bench Spool', () => {
  it('holds acked samples until durableThrough passes them, per host', () => {
    const s = new Spool<string>();
    s.hold('a', 1000, 'a1', null);
    s.hold('a', 2000, 'a2', 999);
    s.hold('b', 1000, 'b1', 5000); // durable at once: nothing held
    expect(s.size()).toBe(2);
    s.confirm('a', 1000);
    expect(s.rest('a', 10)).toEqual([['a2']]);
    expect(s.rest('b', 10)).toEqual([]);
    s.confirm('a', null); // null says nothing is durable: keeps what it holds
    expect(s.size()).toBe(1);
  });

  it('hands the rest over oldest first in chunks', () => {
    const s = new Spool<number>();
    for (const ts of [5, 1, 4, 2, 3]) s.hold('h', ts, ts, null);
    expect(s.rest('h', 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(s.rest('unknown', 2)).toEqual([]);
  });
});
