// Attribute caps for stored records: counts, key and value lengths capped and counted, values
// made safe for jsonb, nothing refused.
import { describe, expect, it } from 'vitest';
import { capAttrs, capString, newCounts, safeText } from './attr-caps.ts';

const caps = { maxAttributes: 3, maxKeyLength: 5, maxValueLength: 4, maxArrayLength: 2 };

describe('capAttrs', () => {
  it('keeps the first attributes, cuts long keys and values with a mark, and counts both', () => {
    const counts = newCounts();
    const out = capAttrs({ a: 'short', longkey: 'x', b: 'ok', c: 'dropped', d: 1 }, caps, counts);
    expect(out).toEqual({ a: 'shor…', 'longk…': 'x', b: 'ok' });
    expect(counts).toMatchObject({ dropped: 2, truncated: 2 });
  });

  it('turns values JSON cannot hold into strings and caps nested values', () => {
    const counts = newCounts();
    const out = capAttrs({ big: 2n ** 70n, nan: NaN, bytes: new Uint8Array([1, 2, 3, 4, 5]), arr: [1, 2, 3], map: { k: 'value!' } }, { ...caps, maxAttributes: 10 }, counts);
    expect(out).toEqual({ big: '1180591620717411303424', nan: 'NaN', bytes: 'AQIDBA==…', arr: [1, 2], map: { k: 'valu…' } });
    expect(counts).toMatchObject({ dropped: 1, truncated: 2 });
  });

  it('keeps "__proto__" as a key, and makes text well formed for jsonb', () => {
    const out = capAttrs(JSON.parse('{"__proto__": "x"}'), { ...caps, maxKeyLength: 20 }, newCounts());
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(safeText('a\u0000b\ud800c\udc00d😀')).toBe('a\uFFFDb\uFFFDc\uFFFDd😀');
    expect(capString('ab😀', 3, newCounts())).toBe('ab…'); // no half surrogate pair
  });
});
