// Runs the worker's /install.sh for real (curl | sh) in a scratch root, with systemctl and useradd
// absent from PATH, against a loopback server that serves the script and a small fake binary.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installScript } from '../../worker/routes/install/script.ts';
import { parseConfigFile } from '../config.ts';
import { systemdUnit } from '../unit.ts';

const fakeBinary = Buffer.from('#!/bin/sh\necho fake pulse-agent\n' + 'x'.repeat(70_000));
const goodSha = createHash('sha256').update(fakeBinary).digest('hex');
let sha = goodSha;
let server: Server;
let url = '';
const hits: string[] = [];

/** A PATH holding only what the script may use: no systemctl, no useradd, no chown. */
function toolDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-tools-'));
  for (const t of ['sh', 'curl', 'sha256sum', 'cut', 'uname', 'id', 'mktemp', 'rm', 'mkdir', 'dirname', 'cp', 'chmod', 'mv', 'cat']) {
    const found = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
    if (!found) throw new Error(`test needs ${t}`);
    symlinkSync(found, join(dir, t));
  }
  return dir;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url!);
    if (req.url === '/install.sh') return void res.end(installScript(url));
    if (req.url === '/download/agent/linux-x64') return void res.end(fakeBinary);
    if (req.url === '/download/agent/linux-x64.sha256') return void res.end(`${sha}  pulse-agent-linux-x64\n`);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Async: the loopback server runs in this process, so a blocking spawn would starve it. */
function runInstaller(args: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const tools = toolDir();
  const p = spawn(join(tools, 'sh'), ['-c', `curl -fsSL ${url}/install.sh | sh -s -- ${args}`], { env: { PATH: tools, HOME: tmpdir() } });
  const r = { status: null as number | null, stdout: '', stderr: '' };
  p.stdout.on('data', (d) => (r.stdout += d));
  p.stderr.on('data', (d) => (r.stderr += d));
  return new Promise((res) => p.on('close', (code) => res({ ...r, status: code })));
}

describe('install.sh', () => {
  it('installs binary, config and unit into a scratch root and prints what it cannot do without systemd', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pulse-root-'));
    const key = 'mk_ingest_AbC123xyz789';
    const r = await runInstaller(`--key ${key} --prefix ${root}`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);

    const bin = join(root, 'usr/local/bin/pulse-agent');
    expect(createHash('sha256').update(readFileSync(bin)).digest('hex')).toBe(goodSha);
    expect(statSync(bin).mode & 0o777).toBe(0o755);

    const cfgPath = join(root, 'etc/pulse-agent/config.yaml');
    expect(statSync(cfgPath).mode & 0o777).toBe(0o640);
    // The agent's own config loader accepts it, and it points at the server the script came from.
    const cfg = parseConfigFile(readFileSync(cfgPath, 'utf8'), cfgPath, {});
    expect(cfg.collector).toMatchObject({ server_url: url, api_key: key, interval: 5000 });
    expect(cfg.spool?.dir).toBe('/var/lib/pulse-agent/spool');

    const unit = readFileSync(join(root, 'etc/systemd/system/pulse-agent.service'), 'utf8');
    expect(unit).toBe(systemdUnit());
    for (const line of ['User=pulse-agent', 'ProtectSystem=strict', 'ProtectHome=true', 'NoNewPrivileges=true', 'PrivateTmp=true', 'ReadWritePaths=/var/lib/pulse-agent', 'CapabilityBoundingSet=', 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX', 'ExecStart=/usr/local/bin/pulse-agent run --config /etc/pulse-agent/config.yaml']) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(statSync(join(root, 'var/lib/pulse-agent')).mode & 0o777).toBe(0o700);
    expect(r.stdout).toContain('would run: useradd --system');
    expect(r.stdout).toContain('would run: chown root:pulse-agent /etc/pulse-agent/config.yaml');
    expect(r.stdout).toContain('systemctl not available');
    expect(r.stdout).toContain('systemctl enable --now pulse-agent.service');
    expect(hits).toContain('/download/agent/linux-x64.sha256');
  });

  it('refuses a binary whose sha256 does not match and installs nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pulse-root-'));
    sha = 'f'.repeat(64);
    try {
      const r = await runInstaller(`--key mk_ingest_AbC123xyz789 --prefix ${root}`);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('checksum mismatch');
      expect(existsSync(join(root, 'usr/local/bin/pulse-agent'))).toBe(false);
      expect(existsSync(join(root, 'etc/pulse-agent/config.yaml'))).toBe(false);
    } finally {
      sha = goodSha;
    }
  });

  it('refuses a missing key or one with shell or YAML characters', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pulse-root-'));
    mkdirSync(root, { recursive: true });
    expect((await runInstaller(`--prefix ${root}`)).stderr).toContain('--key <ingest key> is required');
    const bad = await runInstaller(`--key 'x";rm -rf /' --prefix ${root}`);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('unexpected characters');
  });
});
