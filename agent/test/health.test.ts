import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '../agent.ts';
import { loadConfig } from '../config.ts';
import { checkHealth, evaluate, readState, type AgentState } from '../health.ts';
import { silentLogger } from '../log.ts';
import { main } from '../main.ts';
import type { Collector } from '../types.ts';
import { systemdUnit } from '../unit.ts';
import { startSink, type Sink } from './sink.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const T = 1_800_000_000_000;
const state = (o: Partial<AgentState> = {}): AgentState => ({
  version: '0.1.0', pid: 1, hostId: 'h', server: 'http://x', startedAt: T - 60_000, updatedAt: T, intervalMs: 5000,
  lastSampleAt: T, lastSendOkAt: T - 1000, lastSendError: null, online: true, sent: 10, sendFailures: 0,
  spool: { depth: 0, bytes: 0, dropped: 0, dir: '/s' }, pendingSamples: 0, collectors: { cpu: { ok: true, failures: 0 } }, ...o,
});

describe('evaluate', () => {
  it('is healthy while batches are acknowledged', () => {
    expect(evaluate(state(), T)).toEqual({ healthy: true, problems: [], warnings: [] });
  });
  it('is unhealthy after 3 intervals without a successful send while sampling, naming the error and the spool', () => {
    const s = state({ lastSendOkAt: T - 20_000, lastSendError: 'connect ECONNREFUSED', spool: { depth: 4, bytes: 900, dropped: 0, dir: '/s' } });
    const v = evaluate(s, T);
    expect(v.healthy).toBe(false);
    expect(v.problems[0]).toBe('not delivering: last successful send 20 s ago (connect ECONNREFUSED); 4 batches spooled');
    expect(evaluate(state({ lastSendOkAt: T - 14_000 }), T).healthy).toBe(true); // within 3 intervals (+ slack)
  });
  it('gives a fresh agent 3 intervals before calling it unhealthy', () => {
    expect(evaluate(state({ startedAt: T - 4000, lastSendOkAt: null }), T).healthy).toBe(true);
    expect(evaluate(state({ startedAt: T - 30_000, lastSendOkAt: null }), T).problems[0]).toContain('no batch acknowledged since start');
  });
  it('calls a stale state file a stopped agent, and lists failing collectors and drops as warnings', () => {
    expect(evaluate(state({ updatedAt: T - 60_000, lastSampleAt: T - 60_000 }), T).problems).toEqual(['agent not running: state last updated 60 s ago (pid 1)']);
    const v = evaluate(state({ collectors: { diskio: { ok: false, failures: 3, error: 'timed out after 2000 ms' } }, spool: { depth: 0, bytes: 0, dropped: 2, dir: null } }), T);
    expect(v.healthy).toBe(true);
    expect(v.warnings).toEqual(['collector diskio failing: timed out after 2000 ms', '2 spooled batches dropped (spool full or unreadable)']);
  });
});

let sink: Sink | undefined;
let agent: AgentHandle | undefined;
afterEach(async () => {
  await agent?.stop();
  await sink?.close();
  agent = sink = undefined;
});

describe('a running agent', () => {
  it('writes its state each interval and serves /health on 127.0.0.1, turning unhealthy when sends stop', async () => {
    sink = await startSink();
    const dir = mkdtempSync(join(tmpdir(), 'pulse-health-'));
    const stateFile = join(dir, 'state.json');
    let fail = false;
    const flaky: Collector = { name: 'flaky', collect: async () => { if (fail) throw new Error('boom'); return { 'custom.x': 1 }; } };
    agent = startAgent({
      transport: 'http', // the POST path; the stream is tested in stream.test.ts
      serverUrl: sink.url, apiKey: 'k', intervalMs: 100, collectors: [flaky], log: silentLogger, retries: 0, backoffMs: 10,
      spool: { dir: join(dir, 'spool'), maxBytes: 1 << 20 }, health: { port: sink.port, stateFile },
    });
    await agent.ready;
    // The port is taken (by the sink): the agent logs it and carries on without an endpoint.
    expect(agent.healthPort).toBeNull();
    await agent.stop();

    agent = startAgent({
      transport: 'http', // the POST path; the stream is tested in stream.test.ts
      serverUrl: sink.url, apiKey: 'k', intervalMs: 100, collectors: [flaky], log: silentLogger, retries: 0, backoffMs: 10,
      spool: { dir: join(dir, 'spool'), maxBytes: 1 << 20 }, health: { port: await freePort(), stateFile },
    });
    await agent.ready;
    const port = agent.healthPort!;
    expect(port).toBeGreaterThan(0);
    await until(async () => (await readState(stateFile).catch(() => null))?.lastSendOkAt != null, 3000, 'a send in the state file');
    let res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { healthy: boolean }).healthy).toBe(true);

    await sink.down();
    fail = true;
    // 3 intervals + the 1 s minimum slack.
    await until(async () => !(await checkHealth({ port, stateFile: null })).healthy, 5000, 'unhealthy');
    res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { problems: string[]; warnings: string[]; state: AgentState };
    expect(body.problems[0]).toMatch(/^not delivering: last successful send \d+ s ago/);
    expect(body.warnings).toContain('collector flaky failing: boom');
    expect(body.state.collectors.flaky).toMatchObject({ ok: false, error: 'boom' });
    expect(body.state.spool.depth).toBeGreaterThan(0);
    // The state file tells the same story (the CLI's fallback when no port is configured).
    await until(async () => !(await checkHealth({ port: null, stateFile })).healthy, 3000, 'state file unhealthy');

    await sink.up();
    fail = false;
    await until(async () => (await checkHealth({ port, stateFile: null })).healthy, 5000, 'healthy again');
    // Healthy as soon as one send is acknowledged; the spool's replay may take a tick or two more.
    const running = agent;
    await until(async () => running.state().spool.depth === 0, 5000, 'the spool replayed');
  }, 20_000);
});

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('pulse-agent health (real process)', () => {
  it('exits 0 when healthy and 1 when not, reading the state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-health-cli-'));
    const file = join(dir, 'state.json');
    const run = () =>
      new Promise<{ code: number | null; out: string }>((res) => {
        const p = spawn(process.execPath, ['--import', 'tsx', 'agent/main.ts', 'health', '--state-file', file], { cwd: root });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.on('exit', (code) => res({ code, out }));
      });
    const now = Date.now();
    writeFileSync(file, JSON.stringify({ ...state(), startedAt: now - 60_000, updatedAt: now, lastSampleAt: now, lastSendOkAt: now - 2000 }));
    const ok = await run();
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('status: healthy');
    expect(ok.out).toMatch(/last successful send: \d{4}-.* \(\d+ s ago\)/);
    writeFileSync(file, JSON.stringify({ ...state(), startedAt: now - 60_000, updatedAt: now, lastSampleAt: now, lastSendOkAt: now - 30_000, spool: { depth: 6, bytes: 4096, dropped: 0, dir: '/s' } }));
    const bad = await run();
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('status: UNHEALTHY');
    expect(bad.out).toContain('spool: 6 batches, 4096 bytes');
  }, 20_000);

  it('defaults the state file to state.json next to the spool directory, and reads health.* from the config', () => {
    expect(loadConfig({ env: {}, flags: { spoolDir: '/var/lib/pulse-agent/spool' } }).health).toEqual({ port: null, stateFile: '/var/lib/pulse-agent/state.json' });
    const dir = mkdtempSync(join(tmpdir(), 'pulse-hcfg-'));
    writeFileSync(join(dir, 'c.yaml'), 'health:\n  port: 9102\n  state_file: /run/x.json\n');
    expect(loadConfig({ env: {}, file: join(dir, 'c.yaml') }).health).toEqual({ port: 9102, stateFile: '/run/x.json' });
    expect(loadConfig({ env: {}, file: join(dir, 'c.yaml'), flags: { healthPort: '0' } }).health.port).toBeNull();
  });
});

describe('pulse-agent install / uninstall --prefix', () => {
  it('installs the binary, a private config and the hardened unit, then removes them', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'pulse-inst-'));
    const fake = join(prefix, 'fake-bin');
    writeFileSync(fake, 'ELF-ish');
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    try {
      expect(await main(['install', '--prefix', prefix, '--binary', fake, '--server', 'https://pulse.example.com', '--key', 'mk_ingest_0123456789'])).toBe(0);
      expect(readFileSync(join(prefix, 'usr/local/bin/pulse-agent'), 'utf8')).toBe('ELF-ish');
      expect(statSync(join(prefix, 'etc/pulse-agent/config.yaml')).mode & 0o777).toBe(0o640);
      const cfg = loadConfig({ env: {}, file: join(prefix, 'etc/pulse-agent/config.yaml') });
      expect(cfg).toMatchObject({ serverUrl: 'https://pulse.example.com', apiKey: 'mk_ingest_0123456789', intervalMs: 5000, health: { port: null, stateFile: '/var/lib/pulse-agent/state.json' } });
      expect(readFileSync(join(prefix, 'etc/systemd/system/pulse-agent.service'), 'utf8')).toBe(systemdUnit());
      expect(out.join('')).toContain('would run: systemctl daemon-reload && systemctl enable --now pulse-agent.service');
      expect(await main(['install', '--prefix', prefix, '--binary', fake, '--key', 'bad key"'])).toBe(2);
      expect(await main(['uninstall', '--prefix', prefix, '--purge'])).toBe(0);
      for (const p of ['usr/local/bin/pulse-agent', 'etc/systemd/system/pulse-agent.service', 'etc/pulse-agent', 'var/lib/pulse-agent']) expect(existsSync(join(prefix, p))).toBe(false);
    } finally {
      process.stdout.write = write;
    }
  });
});
