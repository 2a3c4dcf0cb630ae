// The agent's stream transport against a loopback stream server (stream-sink.ts), time
// compressed (100 ms intervals): streaming by default, falling back to POST when the upgrade is
// refused and streaming again after the backoff, and keeping acknowledged samples until the
// server reports them durable, across server restarts that lose what was not yet written and an
// agent restart. In every case each sample produced is stored exactly once, with no gap.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { CollectRequest } from '../../protocol/index.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '../agent.ts';
import { silentLogger } from '../log.ts';
import type { Collector } from '../types.ts';
import { startStreamSink, type StreamSink } from './stream-sink.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

let sink: StreamSink | undefined;
let agents: AgentHandle[] = [];
afterEach(async () => {
  for (const a of agents) await a.stop();
  await sink?.close();
  agents = [];
  sink = undefined;
});

/** An agent whose only metric counts samples: a hole in the stored counts is a lost sample. */
function run(s: StreamSink, spoolDir: string, start = 0) {
  let seq = start;
  const produced: number[] = [];
  const counter: Collector = { name: 'seq', collect: async () => ({ 'custom.seq': ++seq }) };
  const agent = startAgent({
    serverUrl: s.url, apiKey: 'ik_stream', intervalMs: 100, collectors: [counter], log: silentLogger,
    hostId: 'stream-host', retries: 2, backoffMs: 10, sealAfter: 5, sendTimeoutMs: 2000,
    spool: { dir: spoolDir, maxBytes: 1 << 20 },
    onSample: (x) => produced.push(x.metrics['custom.seq'] as number),
  });
  agents.push(agent);
  return { agent, produced };
}

/** The counts in a stopped agent's spool (the samples it sealed at stop, sent on its next start). */
function spooled(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json.gz'))
    .flatMap((f) => (JSON.parse(gunzipSync(readFileSync(join(dir, f))).toString('utf8')) as CollectRequest).samples.map((x) => x.metrics['custom.seq'] as number));
}

/** Every sample produced is stored exactly once, or (sealed at stop) still in the spool. */
function expectExactlyOnce(s: StreamSink, produced: number[], dir?: string) {
  const seqs = s.stored.map((x) => x.metrics['custom.seq'] as number);
  const ts = s.stored.map((x) => x.ts);
  expect(new Set(ts).size, 'a timestamp stored twice').toBe(ts.length);
  const left = dir ? spooled(dir).filter((x) => !seqs.includes(x)) : [];
  expect(left.length, 'samples left in the spool at stop').toBeLessThanOrEqual(2);
  expect([...seqs, ...left].sort((a, b) => a - b)).toEqual([...produced].sort((a, b) => a - b));
}

const spoolDir = () => join(mkdtempSync(join(tmpdir(), 'pulse-stream-')), 'spool');

describe('the stream transport', () => {
  it('streams by default: every sample in frames with the key on the upgrade, none by POST', async () => {
    sink = await startStreamSink();
    const dir = spoolDir();
    const { agent, produced } = run(sink, dir);
    await agent.ready;
    await until(() => sink!.stored.length >= 10, 10_000, '10 samples');
    await agent.stop();
    expect(sink.posts).toBe(0);
    expect(sink.upgrades).toBe(1);
    expect(sink.auth).toEqual(['Bearer ik_stream']);
    // One frame per batch (a batch holds what gathered since the last send: usually one sample).
    expect(sink.frames).toBeGreaterThanOrEqual(5);
    expect(sink.frames).toBeLessThanOrEqual(sink.stored.length);
    expectExactlyOnce(sink, produced, dir);
  });

  it('falls back to POST when the upgrade is refused, streams again after the backoff, and loses or repeats nothing', async () => {
    sink = await startStreamSink();
    sink.refuseUpgrade = 403;
    const dir = spoolDir();
    const { agent, produced } = run(sink, dir);
    await agent.ready;
    await until(() => sink!.posts >= 10, 10_000, '10 POSTs');
    expect(sink.frames).toBe(0);
    const upgradesWhileRefused = sink.upgrades;
    // Retried with a growing backoff: fewer upgrades than POSTs.
    expect(upgradesWhileRefused).toBeGreaterThan(1);
    expect(upgradesWhileRefused).toBeLessThan(sink.posts);
    sink.refuseUpgrade = null;
    const postsBefore = sink.posts;
    await until(() => sink!.frames >= 5, 10_000, 'streaming again');
    await agent.stop();
    // Once streaming, no more POSTs than the one in flight when it came back.
    expect(sink.posts - postsBefore).toBeLessThan(20);
    expectExactlyOnce(sink, produced, dir);
  });

  it.each(['close-sockets', 'keep-sockets'] as const)(
    'keeps acknowledged samples until durable and sends them again after a restart that lost them (%s)',
    async (how) => {
      sink = await startStreamSink();
      sink.lagDurable = true;
      const dir = spoolDir();
      const { agent, produced } = run(sink, dir);
      await agent.ready;
      await until(() => produced.length >= 8, 10_000, '8 samples');
      // Acked, buffered, not durable: the server's restart loses them; the agent still has them.
      expect(sink.stored).toHaveLength(0);
      expect(agent.state().unconfirmedBatches).toBeGreaterThan(0);
      sink.restart(how);
      sink.lagDurable = false;
      await until(() => agent.state().unconfirmedBatches === 0 && agent.state().spool.depth === 0 && sink!.stored.length >= produced.length - 1, 10_000, 'everything durable');
      await agent.stop();
      expectExactlyOnce(sink, produced, dir);
    },
  );

  it('an ack that arrives with the restarted object\'s `ready` belongs to the instance before it: its samples are sent again', async () => {
    sink = await startStreamSink();
    sink.lagDurable = true;
    const dir = spoolDir();
    const { agent, produced } = run(sink, dir);
    await agent.ready;
    await until(() => produced.length >= 4, 10_000, '4 samples');
    sink.restartAfterAck = true; // the next ack and the new ready are written back to back
    await until(() => !sink!.restartAfterAck, 10_000, 'the restart');
    await until(() => agent.state().unconfirmedBatches === 0 && agent.state().spool.depth === 0 && sink!.stored.length >= produced.length - 1, 10_000, 'everything durable');
    await agent.stop();
    expectExactlyOnce(sink, produced, dir);
  });

  it('an agent stopped with unconfirmed batches sends them on its next start', async () => {
    sink = await startStreamSink();
    sink.lagDurable = true;
    const dir = spoolDir();
    const first = run(sink, dir);
    await first.agent.ready;
    await until(() => first.produced.length >= 5, 10_000, '5 samples');
    await first.agent.stop();
    expect(first.agent.state().unconfirmedBatches).toBeGreaterThan(0);
    sink.restart('close-sockets');
    sink.lagDurable = false;
    const second = run(sink, dir, 1000);
    await second.agent.ready;
    await until(() => second.produced.length >= 3 && second.agent.state().unconfirmedBatches === 0 && second.agent.state().spool.depth === 0, 10_000, 'the replay');
    await second.agent.stop();
    expectExactlyOnce(sink, [...first.produced, ...second.produced], dir);
  });
});

const root = fileURLToPath(new URL('../..', import.meta.url));
const runtimes: [string, string[]][] = [
  ['tsx (Node)', [join(root, 'node_modules/.bin/tsx')]],
  ['bun', [join(root, 'node_modules/.bin/bun')]],
];

// The compiled agent runs on Bun, whose `ws` is its own WebSocket: the default transport is tried
// under both runtimes, including the fallback when the upgrade is refused.
describe.each(runtimes)('the CLI under %s', (_name, runtime) => {
  it.each([null, 426] as const)('streams by default (upgrade refused with %s: falls back to POST) and stops cleanly', async (refuse) => {
    sink = await startStreamSink();
    sink.refuseUpgrade = refuse;
    const p = spawn(runtime[0]!, [...runtime.slice(1), 'agent/main.ts', 'run', '--server', sink.url, '--key', 'ik_cli', '--interval', '1s', '--no-spool'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<number>((res) => p.on('exit', (c) => res(c ?? -1)));
    await until(() => sink!.stored.length >= 2 || p.exitCode !== null, 15_000, 'two samples');
    p.kill('SIGTERM');
    expect(await done).toBe(0);
    expect(sink.auth[0]).toBe('Bearer ik_cli');
    if (refuse === null) {
      expect(sink.frames).toBeGreaterThanOrEqual(2);
      expect(sink.posts).toBe(0);
      expect(stderr).toContain('"transport":"ws"');
    } else {
      expect(sink.frames).toBe(0);
      expect(sink.posts).toBeGreaterThanOrEqual(2);
      expect(stderr).toContain('cannot open the stream; sending by HTTP POST meanwhile');
    }
    expect(stderr).not.toContain('"level":"ERROR"');
    expect(new Set(sink.stored.map((x) => x.ts)).size).toBe(sink.stored.length);
  }, 30_000);
});
