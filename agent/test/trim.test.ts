import { describe, expect, it } from 'vitest';
import { fileBackedRanges } from '../trim.ts';

// Captured from a running compiled agent (/proc/<pid>/maps), shortened.
const MAPS = `00200000-02a5e000 r--p 00000000 fe:00 1835012                            /usr/local/bin/pulse-agent
02a5e000-0676c000 r-xp 0285d000 fe:00 1835012                            /usr/local/bin/pulse-agent
0676c000-0679e000 rw-p 0656a000 fe:00 1835012                            /usr/local/bin/pulse-agent
0679e000-06a8c000 rw-p 00000000 00:00 0
7f3c40000000-7f3c40021000 rw-p 00000000 00:00 0                          [heap]
7f3c4e1d2000-7f3c4e1f8000 r--p 00000000 fe:00 262510                     /usr/lib/x86_64-linux-gnu/libc.so.6
7ffd1c9e4000-7ffd1ca05000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
`;

describe('fileBackedRanges', () => {
  it('keeps file-backed mappings and skips anonymous memory, heap and stack', () => {
    const r = fileBackedRanges(MAPS);
    expect(r.map((x) => x.start.toString(16))).toEqual(['200000', '2a5e000', '676c000', '7f3c4e1d2000']);
    expect(r[0]!.length).toBe(0x02a5e000n - 0x00200000n);
  });

  it('ignores blank and malformed lines', () => {
    expect(fileBackedRanges('\nnot a mapping\n')).toEqual([]);
  });
});
