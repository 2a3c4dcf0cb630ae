import { describe, expect, it } from 'vitest';
import { settleLimited } from './settle-limited.ts';

describe('settleLimited', () => {
  it('settles every item in order, with no more than the limit in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await settleLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5 + (n % 3)));
      inFlight--;
      if (n === 4) throw new Error('four');
      return n * 10;
    });
    expect(most).toBe(3);
    expect(out.map((r) => (r.status === 'fulfilled' ? r.value : `x:${(r.reason as Error).message}`))).toEqual([10, 20, 30, 'x:four', 50, 60, 70]);
  });
  it('handles no items', async () => {
    expect(await settleLimited([], 4, async () => 1)).toEqual([]);
  });
});
