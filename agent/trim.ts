// Gives back the executable's start-up pages. The compiled agent is one ~105 MB file (the Bun
// runtime plus our bundle); start-up touches ~38 MB of it that the 5 s collection loop never runs
// again, and those clean file-backed pages stay resident (issue #3: RSS budget 45 MB). After the
// first collections, madvise(MADV_PAGEOUT) on the file-backed mappings lets the kernel reclaim
// them; whatever the loop still needs faults back in once. Linux >= 5.4, Bun only; any failure
// just leaves memory as it was. docs/performance.md has the measurements.
import { readFileSync } from 'node:fs';
import type { Logger } from './log.ts';

const MADV_PAGEOUT = 21;
export const FIRST_TRIM_MS = 5_000; // after start-up and the first collection
export const TRIM_EVERY_MS = 3600_000; // rarely used paths (e.g. a spool replay) fault pages in again

export interface Range {
  start: bigint;
  length: bigint;
}

/** File-backed mappings (inode != 0) from /proc/<pid>/maps text; anonymous memory is left alone. */
export function fileBackedRanges(maps: string): Range[] {
  const out: Range[] = [];
  for (const line of maps.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)/.exec(line);
    if (!m || m[3] === '0') continue;
    const start = BigInt(`0x${m[1]}`);
    out.push({ start, length: BigInt(`0x${m[2]}`) - start });
  }
  return out;
}

type Madvise = (addr: bigint, len: bigint, advice: number) => number;

async function loadMadvise(): Promise<Madvise | null> {
  if (process.platform !== 'linux' || typeof (globalThis as { Bun?: unknown }).Bun === 'undefined') return null;
  const spec = 'bun:ffi'; // a variable, so Node-side type checks and tests never resolve it
  const ffi = (await import(spec)) as {
    dlopen(lib: string, defs: Record<string, { args: string[]; returns: string }>): { symbols: { madvise: Madvise } };
  };
  return ffi.dlopen('libc.so.6', { madvise: { args: ['u64', 'u64', 'i32'], returns: 'i32' } }).symbols.madvise;
}

/** Pages out the file-backed mappings once after start-up, then hourly. Returns a stop function. */
export function scheduleTrim(log: Logger, env: NodeJS.ProcessEnv = process.env): () => void {
  if (env.PULSE_AGENT_TRIM === '0') return () => {};
  let madvise: Madvise | null = null;
  const trim = async () => {
    try {
      madvise ??= await loadMadvise();
      if (!madvise) return;
      let ok = 0;
      for (const r of fileBackedRanges(readFileSync('/proc/self/maps', 'utf8'))) if (madvise(r.start, r.length, MADV_PAGEOUT) === 0) ok++;
      log.debug('paged out start-up memory', { mappings: ok });
    } catch (e) {
      log.warning('memory trim unavailable; start-up pages stay resident', { error: String(e) });
    }
  };
  const first = setTimeout(() => void trim(), FIRST_TRIM_MS);
  const every = setInterval(() => void trim(), TRIM_EVERY_MS);
  first.unref?.();
  every.unref?.();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
