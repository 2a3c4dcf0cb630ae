// The stream's frame parser: the POST's contract under `batch`, with every refusal naming its field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fieldOf, parseStreamFrame, StreamServerFrame, streamUrl, STREAM_LIMITS } from './ingest-stream.ts';

const now = 1_795_000_000_000;
const batch = (ts = now, extra: Record<string, unknown> = {}) => ({ host: { id: 'web-1', name: 'web-1' }, batchId: 'b-1', samples: [{ ts, metrics: { 'cpu.usage.total': 1 } }], ...extra });
const frame = (f: unknown) => parseStreamFrame(JSON.stringify(f), now);

describe('parseStreamFrame', () => {
  it('accepts a samples frame and fills the host defaults as the POST does', () => {
    const r = frame({ type: 'samples', seq: 3, batch: batch() });
    expect(r).toEqual({ ok: true, frame: { type: 'samples', seq: 3, batch: { ...batch(), host: { id: 'web-1', name: 'web-1', os: 'unknown', agentVersion: 'unknown' } } } });
  });

  it('names every problem, keeping the seq when it could be read', () => {
    const r = frame({ type: 'sample', seq: 4, extra: 1, batch: batch(now, { samples: [{ ts: -1, metrics: { 'cpu.usage.total': 'x' } }] }) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.seq).toBe(4);
    expect(r.error.issues!.map((i) => i.field)).toEqual(['extra', 'type', 'batch.samples[0].ts', 'batch.samples[0].metrics["cpu.usage.total"]']);
    expect(r.error.message).toMatch(/^invalid frame: extra: unknown field "extra"; type: unknown frame type "sample"/);
    expect(r.error.message).toContain('(and 1 more)');
  });

  it('refuses a missing seq or batch, non-JSON, binary and oversized frames', () => {
    const noSeq = frame({ type: 'samples', batch: batch() });
    expect(!noSeq.ok && noSeq.error).toMatchObject({ seq: null, issues: [{ field: 'seq' }] });
    const noBatch = frame({ type: 'samples', seq: 1 });
    expect(!noBatch.ok && noBatch.error).toMatchObject({ seq: 1, issues: [{ field: 'batch', message: 'is required' }] });
    const text = parseStreamFrame('{"type":', now);
    expect(!text.ok && text.error.message).toMatch(/^frame is not valid JSON/);
    const bin = parseStreamFrame(new ArrayBuffer(4), now);
    expect(!bin.ok && bin.error.message).toContain('binary');
    const big = parseStreamFrame('x'.repeat(STREAM_LIMITS.maxFrameBytes + 1), now);
    expect(!big.ok && big.error.code).toBe('too_large');
  });

  it("applies the POST's timestamp window", () => {
    const r = frame({ type: 'samples', seq: 2, batch: batch(now + 3_600_000) });
    expect(!r.ok && r.error).toMatchObject({ seq: 2, issues: [{ field: 'batch.samples[0].ts', message: expect.stringContaining('in the future') }] });
  });
});

describe('streamUrl and fieldOf', () => {
  it('turns the server URL into the ws(s) upgrade URL, keeping a path prefix', () => {
    expect(streamUrl('https://mon.example/pulse/', { id: 'web-1', name: 'web 1', os: 'linux' })).toBe('wss://mon.example/pulse/api/v1/metrics/stream?host=web-1&name=web+1&os=linux');
    expect(streamUrl('http://127.0.0.1:8787', { id: 'a', name: 'a' })).toBe('ws://127.0.0.1:8787/api/v1/metrics/stream?host=a&name=a');
  });
  it('formats paths as the POST does', () => {
    expect(fieldOf(['batch', 'samples', 0, 'metrics', 'disk.usage.percent', 1, 'value'])).toBe('batch.samples[0].metrics["disk.usage.percent"][1].value');
    expect(fieldOf([])).toBe('(frame)');
  });
});

describe('docs/ingest.md "Streaming"', () => {
  const page = readFileSync(new URL('../docs/ingest.md', import.meta.url), 'utf8');
  const frames = [...page.matchAll(/^```jsonl\n([\s\S]*?)^```$/gm)].flatMap((m) => m[1]!.trim().split('\n')).map((l) => JSON.parse(l) as { type: string });

  it('shows a ready, a samples frame, an ack and errors', () => {
    expect(frames.map((f) => f.type)).toEqual(['ready', 'samples', 'ack', 'error', 'error']);
  });

  it('every server frame on the page fits the contract, and the client frame parses', () => {
    for (const f of frames.filter((x) => x.type !== 'samples')) expect(StreamServerFrame.safeParse(f).error?.issues ?? []).toEqual([]);
    const client = frames.find((f) => f.type === 'samples')!;
    const r = parseStreamFrame(JSON.stringify(client), 1763780000000 + 1000);
    expect(r.ok ? [] : r.error.issues).toEqual([]);
  });

  it("shows the parser's own message for a non-integer ts", () => {
    const shown = frames.find((f) => f.type === 'error' && (f as { code?: string }).code === 'invalid_frame') as unknown as { message: string };
    const r = parseStreamFrame(JSON.stringify({ type: 'samples', seq: 2, batch: { host: { id: 'web-1', name: 'web-1' }, batchId: 'b', samples: [{ ts: 1.5, metrics: {} }] } }), 1763780000000);
    expect(!r.ok && r.error.message).toBe(shown.message);
  });
});
