import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTimestamps, CollectRequest } from '../../protocol/index.ts';
import { startAgent, type AgentHandle } from '../main.ts';
import { silentLogger } from '../log.ts';
import { recordingServer, type RecordingServer } from './server.ts';

const until = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

let server: RecordingServer | undefined;
let agent: AgentHandle | undefined;
afterEach(async () => {
  await agent?.stop();
  await server?.close();
  agent = server = undefined;
});

describe('startAgent', () => {
  it('ships valid batches of this machine every interval, spools while the server is down, and replays them', async () => {
    server = await recordingServer();
    const port = server.port;
    agent = startAgent({
      transport: 'http', // the POST path; the stream is tested in stream.test.ts
      serverUrl: server.url, apiKey: 'ik_live', intervalMs: 1000, log: silentLogger,
      spool: { dir: mkdtempSync(join(tmpdir(), 'pulse-agent-')), maxBytes: 1 << 20 },
      retries: 0, backoffMs: 10, sealAfter: 1, hostId: 'test-host',
    });
    await agent.ready;
    // The start-up sample is shipped at once (no rates yet: nothing to diff against).
    await until(() => server!.requests.length >= 1, 1000);
    const first = CollectRequest.parse(server.requests[0]!.body);
    expect(first.host).toMatchObject({ id: 'test-host', agentVersion: '0.1.0' });
    expect(server.requests[0]!.headers.authorization).toBe('Bearer ik_live');
    expect(checkTimestamps(first, Date.now())).toBeNull();
    expect(first.samples[0]!.metrics['memory.total']).toBeGreaterThan(0);
    expect(first.samples[0]!.metrics['disk.usage.total']).toBeDefined();
    expect(first.samples[0]!.metrics['cpu.usage.total']).toBeUndefined();
    await until(() => server!.requests.length >= 2, 5000);
    const second = CollectRequest.parse(server.requests[1]!.body);
    expect(second.samples[0]!.metrics['cpu.usage.total']).toBeTypeOf('number');
    expect(second.samples[0]!.ts % 1000).toBe(0); // aligned to the interval

    await server.close();
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, 2500)); // about two samples go to the spool
    const upAt = Date.now();
    server = await recordingServer(port);
    await until(() => server!.requests.some((r) => CollectRequest.parse(r.body).samples.some((s) => s.ts > upAt)), 5000);
    const replay = server.requests.map((r) => CollectRequest.parse(r.body));
    const ts = replay.flatMap((b) => b.samples.map((s) => s.ts));
    // Samples taken while the server was down arrive, in order, once it is back.
    expect(ts.filter((t) => t > downAt && t < upAt).length).toBeGreaterThanOrEqual(1);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    const last = replay.at(-1)!.samples.at(-1)!;
    expect(last.metrics['agent.send.failures']).toBeGreaterThanOrEqual(1);
  }, 20_000);
});

const root = fileURLToPath(new URL('../..', import.meta.url));
function cli(runtime: string[], args: string[]) {
  const p = spawn(runtime[0]!, [...runtime.slice(1), 'agent/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '', code: null as number | null, done: undefined as unknown as Promise<number> };
  p.stdout.on('data', (d) => (out.stdout += d));
  p.stderr.on('data', (d) => (out.stderr += d));
  out.done = new Promise((res) => p.on('exit', (c) => res((out.code = c ?? -1))));
  return { p, out };
}

const runtimes: [string, string[]][] = [
  ['tsx (Node)', [join(root, 'node_modules/.bin/tsx')]],
  ['bun', [join(root, 'node_modules/.bin/bun')]],
];

describe.each(runtimes)('the CLI under %s', (_name, runtime) => {
  it('prints the version and refuses a bad config with the key and line', async () => {
    const v = cli(runtime, ['--version']);
    expect(await v.out.done).toBe(0);
    expect(v.out.stdout.trim()).toBe('0.1.0');
    const dir = mkdtempSync(join(tmpdir(), 'pulse-cfg-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'c.yaml'), 'collector:\n  interval: 5s\nmetrics:\n  cpu:\n    per_cpu: maybe\n');
    const bad = cli(runtime, ['run', '--config', join(dir, 'c.yaml')]);
    expect(await bad.out.done).toBe(2);
    expect(bad.out.stderr).toContain('c.yaml:5: metrics.cpu.per_cpu');
  }, 20_000);

  it('runs, posts to the server and stops cleanly on SIGTERM', async () => {
    server = await recordingServer();
    const run = cli(runtime, ['run', '--transport', 'http', '--server', server.url, '--key', 'ik_cli', '--interval', '1s', '--no-spool']);
    await until(() => server!.requests.length >= 1 || run.out.code !== null, 10_000);
    expect(run.out.stderr).not.toContain('"level":"ERROR"');
    const b = CollectRequest.parse(server.requests[0]!.body);
    expect(b.samples[0]!.metrics['memory.total']).toBeGreaterThan(0);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer ik_cli');
    run.p.kill('SIGTERM');
    expect(await run.out.done).toBe(0);
    expect(run.out.stderr).toContain('"msg":"agent stopped"');
  }, 20_000);
});

describe('startAgent start-up', () => {
  it('falls back to an in-memory spool when the spool directory cannot be created', async () => {
    const lines: string[] = [];
    const { createLogger } = await import('../log.ts');
    const { writeFileSync } = await import('node:fs');
    const file = join(mkdtempSync(join(tmpdir(), 'pulse-nospool-')), 'not-a-dir');
    writeFileSync(file, 'x');
    server = await recordingServer();
    agent = startAgent({
      transport: 'http', // the POST path; the stream is tested in stream.test.ts
      serverUrl: server.url, apiKey: 'k', intervalMs: 1000, spool: { dir: join(file, 'spool'), maxBytes: 1 << 20 },
      log: createLogger({ level: 'INFO', write: (l) => lines.push(l) }),
    });
    await agent.ready;
    expect(lines.some((l) => l.includes('cannot open the spool directory'))).toBe(true);
    await until(() => server!.requests.length >= 1, 5000);
  }, 10_000);
});
