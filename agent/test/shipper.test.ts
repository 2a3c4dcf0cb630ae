import { gunzipSync } from 'node:zlib';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CollectRequest, LIMITS, type Sample } from '../../protocol/index.ts';
import { batchId, Shipper } from '../shipper.ts';
import { Spool } from '../spool.ts';
import type { SendOutcome, Transport } from '../transport.ts';

const host = { id: 'host-1', name: 'web-1', os: 'Linux', agentVersion: '0.1.0' };
const sample = (ts: number): Sample => ({ ts, metrics: { 'memory.total': ts } });

/** A fake server: `up` decides whether sends succeed; records every batch it accepted. */
function fakeTransport() {
  const state = { up: true, reject: false, accepted: [] as CollectRequest[], attempts: 0 };
  const t: Transport = async (body, _id, retries): Promise<SendOutcome> => {
    const attempts = retries + 1;
    state.attempts += state.up ? 1 : attempts;
    if (state.reject) return { kind: 'rejected', status: 400, error: { error: 'bad' }, attempts: 1, failedAttempts: 1, durationMs: 1 };
    if (!state.up) return { kind: 'failed', error: 'ECONNREFUSED', attempts, failedAttempts: attempts, durationMs: 1 };
    state.accepted.push(CollectRequest.parse(JSON.parse(gunzipSync(body).toString())));
    return { kind: 'ok', status: 200, attempts: 1, failedAttempts: 0, durationMs: 3 };
  };
  return { state, t };
}

describe('batchId', () => {
  it('is unique and within the wire alphabet even for long host ids', () => {
    const a = batchId('h'.repeat(128), 1_700_000_000_000);
    expect(a).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
    expect(a).not.toBe(batchId('h'.repeat(128), 1_700_000_000_000));
  });
});

describe('Shipper', () => {
  it('sends each sample at once while the server answers', async () => {
    const { state, t } = fakeTransport();
    const s = new Shipper({ host, transport: t, spool: await Spool.open(null) });
    s.enqueue(sample(1000));
    await s.flush();
    s.enqueue(sample(2000));
    await s.flush();
    expect(state.accepted.map((b) => b.samples.map((x) => x.ts))).toEqual([[1000], [2000]]);
    expect(s.metrics()).toMatchObject({ 'agent.send.success': 2, 'agent.send.failures': 0, 'agent.spool.depth': 0, 'agent.send.duration': 3 });
  });

  it('spools through an outage and replays in order with the original batch ids', async () => {
    const { state, t } = fakeTransport();
    const spool = await Spool.open(mkdtempSync(join(tmpdir(), 'pulse-ship-')));
    const s = new Shipper({ host, transport: t, spool, sealAfter: 3 });
    state.up = false;
    s.enqueue(sample(1000));
    await s.flush(); // fails after retries → spooled as its own batch
    expect(s.isOnline).toBe(false);
    expect(spool.depth).toBe(1);
    const firstId = spool.peek()!.batchId;
    for (let ts = 2000; ts <= 5000; ts += 1000) {
      s.enqueue(sample(ts));
      await s.flush(); // one probe per flush; samples gather in memory, sealed every 3
    }
    expect(spool.depth).toBe(2);
    expect(s.pendingSamples).toBe(1);
    expect(state.attempts).toBe(4 + 4); // 4 attempts for the first batch, then 1 probe per flush
    expect(s.metrics()['agent.send.failures']).toBe(8);

    state.up = true;
    s.enqueue(sample(6000));
    await s.flush();
    expect(state.accepted.map((b) => b.samples.map((x) => x.ts))).toEqual([[1000], [2000, 3000, 4000], [5000, 6000]]);
    expect(state.accepted[0]!.batchId).toBe(firstId);
    expect(spool.depth).toBe(0);
    expect(s.isOnline).toBe(true);
  });

  it('drops a batch the server refuses (4xx) instead of retrying it forever', async () => {
    const { state, t } = fakeTransport();
    const spool = await Spool.open(null);
    const s = new Shipper({ host, transport: t, spool });
    state.reject = true;
    s.enqueue(sample(1000));
    await s.flush();
    expect(spool.depth).toBe(0);
    expect(s.isOnline).toBe(true);
    expect(s.metrics()['agent.send.failures']).toBe(1);
  });

  it('seals samples still in memory into the spool on close', async () => {
    const { state, t } = fakeTransport();
    const spool = await Spool.open(null);
    const s = new Shipper({ host, transport: t, spool });
    state.up = false;
    s.enqueue(sample(1000));
    await s.flush();
    s.enqueue(sample(2000));
    s.enqueue(sample(2000)); // a clock step back repeated a timestamp
    await s.close();
    expect(spool.depth).toBe(2);
    state.up = true;
    await s.flush();
    expect(state.accepted.map((b) => b.samples.map((x) => x.ts))).toEqual([[1000], [2000]]);
  });

  it('splits a backlog into batches under half the body limit', async () => {
    const { state, t } = fakeTransport();
    const s = new Shipper({ host, transport: t, spool: await Spool.open(null, 1 << 30) });
    state.up = false;
    const big = (ts: number): Sample => ({
      ts,
      metrics: { 'network.io.bytes.sent': Array.from({ length: 1500 }, (_, i) => ({ labels: { interface: `veth${i}` }, value: i })) },
    });
    for (let i = 1; i <= 30; i++) s.enqueue(big(i * 1000));
    await s.close();
    state.up = true;
    await s.flush();
    expect(state.accepted.length).toBeGreaterThan(1);
    for (const b of state.accepted) expect(JSON.stringify(b).length).toBeLessThan(LIMITS.maxBodyBytes * 0.6);
    expect(state.accepted.flatMap((b) => b.samples.map((x) => x.ts))).toEqual(Array.from({ length: 30 }, (_, i) => (i + 1) * 1000));
  });

  it('runs one drain at a time', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const t: Transport = async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return { kind: 'ok', status: 200, attempts: 1, failedAttempts: 0, durationMs: 5 };
    };
    const s = new Shipper({ host, transport: t, spool: await Spool.open(null) });
    s.enqueue(sample(1));
    const a = s.flush();
    s.enqueue(sample(2));
    const b = s.flush();
    await Promise.all([a, b]);
    expect(maxInFlight).toBe(1);
    expect(s.sent).toBe(2);
  });
});
