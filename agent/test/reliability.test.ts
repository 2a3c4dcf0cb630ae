// Delivery proofs. (a) A long outage, with time compressed (100 ms intervals: 60 intervals down
// stand for 5 minutes at 5 s), outlasting the retry budget so the disk spool is used, with a
// lost acknowledgement and a spell of 503s on the way back: every sample reaches the server
// exactly once, with no gaps. (b) Real agent processes SIGKILLed while spooling and while
// replaying: everything that was in the spool is delivered, exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { CollectRequest } from '../../protocol/index.ts';
import { startAgent, type AgentHandle } from '../agent.ts';
import { silentLogger } from '../log.ts';
import type { Collector } from '../types.ts';
import { startSink, storedTs, type Sink } from './sink.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

let sink: Sink | undefined;
let agent: AgentHandle | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  await agent?.stop();
  await sink?.close();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  agent = sink = undefined;
  children.length = 0;
});

describe('a long outage (compressed time)', () => {
  it('spools past the retry budget and delivers every sample exactly once, without gaps', async () => {
    sink = await startSink();
    // One counter per sample: a gap in the received values is a lost sample, whatever the timestamps.
    let seq = 0;
    const counter: Collector = { name: 'seq', collect: async () => ({ 'custom.seq': ++seq }) };
    const produced: { ts: number; seq: number }[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'pulse-outage-'));
    agent = startAgent({
      transport: 'http', // the POST path; the stream is tested in stream.test.ts
      serverUrl: sink.url, apiKey: 'k', intervalMs: 100, collectors: [counter], log: silentLogger,
      hostId: 'outage-host', retries: 3, backoffMs: 10, sealAfter: 12,
      spool: { dir: join(dir, 'spool'), maxBytes: 1 << 20 },
      health: { port: null, stateFile: join(dir, 'state.json') },
      onSample: (s) => produced.push({ ts: s.ts, seq: s.metrics['custom.seq'] as number }),
    });
    await agent.ready;
    await until(() => sink!.stored.length >= 3, 3000, 'live batches');

    await sink.down();
    const downAt = Date.now();
    const atDown = produced.length;
    // 60 intervals; a send's whole retry budget (10 + 20 + 40 ms) is spent many times over.
    await until(() => produced.length >= atDown + 60, 15_000, '60 intervals of outage');
    const spooled = agent.state().spool.depth;
    expect(spooled).toBeGreaterThanOrEqual(4); // 60 samples sealed 12 at a time, plus the first failed batch
    expect(readdirSync(join(dir, 'spool')).filter((f) => f.endsWith('.json.gz')).length).toBe(spooled);
    expect(agent.state().online).toBe(false);

    // Back, but the first replay is stored and its acknowledgement lost, then a spell of 503s.
    sink.mode = 'drop-after-store';
    const before = sink.received.length;
    await sink.up();
    await until(() => sink!.received.length > before, 3000, 'first replay');
    sink.mode = '503';
    await sleep(500);
    sink.mode = 'up';
    const upAt = Date.now();
    await until(() => agent!.state().spool.depth === 0 && produced.length > 0 && storedTs(sink!).includes(produced.at(-1)!.ts), 10_000, 'replay and live again');
    await agent.stop();
    agent = undefined;

    // Everything produced was stored once: same timestamps, the counter without a hole.
    const ts = storedTs(sink);
    const seqs = sink.stored.flatMap((b) => b.samples.map((s) => s.metrics['custom.seq'] as number));
    expect(new Set(ts).size).toBe(ts.length);
    expect(new Set(sink.stored.map((b) => b.batchId)).size).toBe(sink.stored.length);
    // stop() spools the samples still in memory; they are not sent, so compare up to the last stored one.
    const last = Math.max(...seqs);
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(last).toBeGreaterThanOrEqual(atDown + 60);
    expect(produced.filter((p) => p.seq <= last).map((p) => p.ts).sort()).toEqual([...ts].sort());
    // Stored in order of collection, although delivered across the outage, a retry and a replay.
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(ts.filter((t) => t > downAt && t < upAt).length).toBeGreaterThanOrEqual(60);
    // The lost acknowledgement was answered by a re-send with the same batchId, stored once.
    expect(sink.received.filter((r) => r.duplicate).length).toBeGreaterThanOrEqual(1);
    // While down the agent probed at most about once per interval, not once per sample and retry.
    const probes503 = sink.received.filter((r) => r.mode === '503').length;
    expect(probes503).toBeLessThanOrEqual(8);
  }, 40_000);
});

const root = fileURLToPath(new URL('../..', import.meta.url));

function runAgent(serverUrl: string, dir: string) {
  // `node --import tsx`, not the tsx CLI: that one runs the script in a child process, and the
  // SIGKILL must hit the agent itself.
  const p = spawn(process.execPath, ['--import', 'tsx', 'agent/main.ts', 'run', '--transport', 'http', '--server', serverUrl, '--key', 'ik_kill', '--host-id', 'kill-host', '--spool-dir', join(dir, 'spool'), '--log-level', 'DEBUG'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PULSE_TEST_INTERVAL_MS: '200', PULSE_TEST_BACKOFF_MS: '10', PULSE_TEST_SEAL_AFTER: '3' },
  });
  children.push(p);
  let log = '';
  p.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((r) => p.on('exit', () => r()));
  return { p, exited, log: () => log };
}

/** The batches in a spool directory: file name order is replay order. */
function spoolContents(dir: string): CollectRequest[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json.gz'))
    .sort()
    .map((f) => JSON.parse(gunzipSync(readFileSync(join(dir, f))).toString('utf8')) as CollectRequest);
}

describe('SIGKILL (real processes)', () => {
  it('delivers everything that was spooled exactly once, across a kill while spooling and a kill while replaying', async () => {
    sink = await startSink();
    await sink.down();
    const dir = mkdtempSync(join(tmpdir(), 'pulse-kill-'));
    const spoolDir = join(dir, 'spool');

    // 1. Server down: the agent spools; kill it hard with at least 4 batches on disk.
    const a1 = runAgent(sink.url, dir);
    await until(() => {
      try {
        return readdirSync(spoolDir).filter((f) => f.endsWith('.json.gz')).length >= 4;
      } catch {
        return false;
      }
    }, 20_000, 'four spooled batches');
    a1.p.kill('SIGKILL');
    await a1.exited;
    const spooled = spoolContents(spoolDir);
    expect(spooled.length).toBeGreaterThanOrEqual(4);
    const spooledTs = spooled.flatMap((b) => b.samples.map((s) => s.ts));

    // 2. Server back but slow to answer: kill the second agent while a replay is in flight.
    sink.mode = 'slow';
    sink.slowMs = 400;
    await sink.up();
    const a2 = runAgent(sink.url, dir);
    await until(() => sink!.received.length >= 2, 20_000, 'two replays');
    a2.p.kill('SIGKILL');
    await a2.exited;
    // The second replay was stored but never acknowledged: its file is still in the spool.
    const inFlight = sink.received[1]!.batchId;
    expect(spoolContents(spoolDir).map((b) => b.batchId)).toContain(inFlight);

    // 3. A third agent finishes the replay; the in-flight batch comes again and is a duplicate.
    sink.mode = 'up';
    const a3 = runAgent(sink.url, dir);
    const ids = new Set(spooled.map((b) => b.batchId));
    await until(() => [...ids].every((id) => sink!.stored.some((b) => b.batchId === id)) && readdirSync(spoolDir).filter((f) => f.endsWith('.gz')).length === 0, 20_000, 'spool replayed');
    a3.p.kill('SIGTERM');
    await a3.exited;
    expect(a3.log()).toContain('spool has batches from a previous run');

    for (const b of spooled) {
      const copies = sink.stored.filter((s) => s.batchId === b.batchId);
      expect(copies).toHaveLength(1);
      expect(copies[0]!.samples).toEqual(b.samples); // byte-identical replay
    }
    expect(sink.received.filter((r) => r.batchId === inFlight).map((r) => r.duplicate)).toEqual([false, true]);
    const ts = storedTs(sink);
    expect(new Set(ts).size).toBe(ts.length);
    for (const t of spooledTs) expect(ts).toContain(t);
  }, 90_000);
});
