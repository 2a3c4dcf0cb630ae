import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool } from '../spool.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'pulse-spool-'));
const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe('Spool', () => {
  it('keeps batches in order on disk and survives a restart', async () => {
    const dir = tmp();
    const a = await Spool.open(dir, 1000);
    await a.push('b-1', bytes(10, 1));
    await a.push('b-2', bytes(20, 2));
    expect(readdirSync(dir)).toEqual(['000000000001_b-1.json.gz', '000000000002_b-2.json.gz']);

    const b = await Spool.open(dir, 1000);
    expect([b.depth, b.bytes]).toEqual([2, 30]);
    const first = b.peek()!;
    expect(first.batchId).toBe('b-1');
    expect(await b.read(first)).toEqual(Buffer.from(bytes(10, 1)));
    await b.remove(first);
    await b.push('b-3', bytes(5));
    expect(readdirSync(dir)).toEqual(['000000000002_b-2.json.gz', '000000000003_b-3.json.gz']);
  });

  it('drops the oldest batches when full, and counts them', async () => {
    const s = await Spool.open(tmp(), 100);
    for (let i = 1; i <= 5; i++) await s.push(`b-${i}`, bytes(30));
    expect(s.depth).toBe(3);
    expect(s.bytes).toBe(90);
    expect(s.dropped).toBe(2);
    expect(s.peek()?.batchId).toBe('b-3');
    await s.push('huge', bytes(101));
    expect(s.dropped).toBe(3);
    expect(s.depth).toBe(3);
  });

  it('trims to a smaller bound on open and removes half-written files', async () => {
    const dir = tmp();
    const s = await Spool.open(dir, 1000);
    for (let i = 1; i <= 4; i++) await s.push(`b-${i}`, bytes(100));
    writeFileSync(join(dir, '000000000009_b-9.json.gz.tmp'), 'partial');
    const t = await Spool.open(dir, 250);
    expect(t.depth).toBe(2);
    expect(t.peek()?.batchId).toBe('b-3');
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('works in memory without a directory', async () => {
    const s = await Spool.open(null, 50);
    await s.push('m-1', bytes(20));
    await s.push('m-2', bytes(20));
    await s.push('m-3', bytes(20));
    expect(s.depth).toBe(2);
    expect(s.dropped).toBe(1);
    expect(await s.read(s.peek()!)).toEqual(bytes(20));
  });
});
