import { describe, expect, it } from 'vitest';
import { mergeFeed, type FeedAlert } from './alert-feed.ts';

const alert = (id: string, started_at: number, o: Partial<FeedAlert> = {}): FeedAlert => ({
  id, rule_id: 'r', rule_name: 'r', severity: 'WARNING', host: 'h', service: null, metric: 'm', labels: {},
  status: 'FIRING', value: 1, threshold: 0, started_at, resolved_at: null, notified: 'none', last_error: null, ...o,
});

describe('mergeFeed', () => {
  it('replaces by id, keeps newest start first, and cuts to the limit', () => {
    const list = [alert('b', 20), alert('a', 10)];
    expect(mergeFeed(list, [alert('c', 30)]).map((a) => a.id)).toEqual(['c', 'b', 'a']);
    const resolved = mergeFeed(list, [alert('a', 10, { status: 'RESOLVED', resolved_at: 15 })]);
    expect(resolved.map((a) => [a.id, a.status])).toEqual([['b', 'FIRING'], ['a', 'RESOLVED']]);
    expect(mergeFeed(list, [alert('c', 30), alert('d', 40)], 3).map((a) => a.id)).toEqual(['d', 'c', 'b']);
    // An update of an alert older than the kept ones is not shown (as in the hello).
    expect(mergeFeed([alert('c', 30), alert('b', 20)], [alert('a', 10)], 2).map((a) => a.id)).toEqual(['c', 'b']);
    expect(list.map((a) => a.id)).toEqual(['b', 'a']); // the input is not changed
  });
});
