// Runs the worker's /install.sh for real (curl | sh) in a scratch root, with systemctl and useradd
// absent from PATH, against a loopback server that serves the script and small fake binaries,
// compressed as the build publishes them (xz and gzip). `uname` is a stand-in script so that each
// platform's branch runs here. Needs the xz command (the README's prerequisites).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse as parsePlist } from 'plist';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installScript } from '../../worker/routes/install/script.ts';
import { parseConfigFile } from '../config.ts';
import { LAUNCHD, launchdPlist, systemdUnit } from '../unit.ts';

const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex');
function xz(b: Buffer): Buffer {
  const r = spawnSync('xz', ['-9', '-c'], { input: b, maxBuffer: 1 << 26 });
  if (r.error || r.status !== 0) throw new Error(`test needs the xz command (apt-get install xz-utils): ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** One fake binary per served platform, so a test can tell which one was installed. */
const SERVED = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'] as const;
const builds = new Map(SERVED.map((p) => {
  const bin = Buffer.from(`#!/bin/sh\necho fake pulse-agent ${p}\n` + `${p} `.repeat(20_000));
  return [p, { bin, sha: hash(bin), xz: xz(bin), gz: gzipSync(bin) }] as const;
}));
/** What the server answers instead, per request path (a wrong checksum, a damaged file). */
const override = new Map<string, Buffer | string | 404>();
let server: Server;
let url = '';
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url!);
    if (req.url === '/install.sh') return void res.end(installScript(url));
    const o = override.get(req.url!);
    if (o === 404) return void res.writeHead(404).end();
    if (o !== undefined) return void res.end(o);
    const m = /^\/download\/agent\/([a-z0-9-]+)\.(sha256|xz|gz)$/.exec(req.url!);
    const b = m && builds.get(m[1] as (typeof SERVED)[number]);
    if (!m || !b) return void res.writeHead(404).end();
    res.end(m[2] === 'sha256' ? `${b.sha}  pulse-agent-${m[1]}\n` : m[2] === 'xz' ? b.xz : b.gz);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  hits.length = 0;
  override.clear();
});

const TOOLS = ['sh', 'curl', 'sha256sum', 'cut', 'id', 'mktemp', 'rm', 'mkdir', 'dirname', 'cp', 'chmod', 'mv', 'cat', 'grep', 'wc', 'xz', 'gzip'];

/**
 * A PATH holding only what the script may use: no systemctl, useradd, chown, codesign or
 * launchctl; `uname` answers as the given system; `without` leaves tools out.
 */
function toolDir(opts: { os?: string; machine?: string; without?: string[] } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-tools-'));
  for (const t of TOOLS.filter((t) => !opts.without?.includes(t))) {
    const found = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
    if (!found) throw new Error(`test needs ${t}`);
    symlinkSync(found, join(dir, t));
  }
  writeFileSync(join(dir, 'uname'), `#!/bin/sh\ncase "$1" in -s) echo '${opts.os ?? 'Linux'}' ;; -m) echo '${opts.machine ?? 'x86_64'}' ;; *) exit 1 ;; esac\n`);
  chmodSync(join(dir, 'uname'), 0o755);
  return dir;
}

/** Async: the loopback server runs in this process, so a blocking spawn would starve it. */
function runInstaller(args: string, tools = toolDir()): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const p = spawn(join(tools, 'sh'), ['-c', `curl -fsSL ${url}/install.sh | sh -s -- ${args}`], { env: { PATH: tools, HOME: tmpdir() } });
  const r = { status: null as number | null, stdout: '', stderr: '' };
  p.stdout.on('data', (d) => (r.stdout += d));
  p.stderr.on('data', (d) => (r.stderr += d));
  return new Promise((res) => p.on('close', (code) => res({ ...r, status: code })));
}

const KEY = 'mk_ingest_AbC123xyz789';
const scratch = () => mkdtempSync(join(tmpdir(), 'pulse-root-'));
const installed = (root: string) => readFileSync(join(root, 'usr/local/bin/pulse-agent'));

describe('install.sh on Linux', () => {
  it('downloads the xz file with a progress bar, checks the unpacked sha256, and installs binary, config and unit', async () => {
    const root = scratch();
    const r = await runInstaller(`--key ${KEY} --prefix ${root}`);
    expect(r.status, r.stderr).toBe(0);
    // The only thing on stderr is curl's progress bar for the binary.
    expect(r.stderr).toMatch(/#+ +100\.0%/);
    expect(r.stderr).not.toContain('error');
    const b = builds.get('linux-x64')!;
    expect(hits.filter((h) => h.startsWith('/download/'))).toEqual(['/download/agent/linux-x64.sha256', '/download/agent/linux-x64.xz']);
    expect(r.stdout).toContain(`downloaded ${b.xz.length} bytes`);
    expect(b.xz.length).toBeLessThan(b.bin.length / 10); // it really was the compressed file

    const bin = join(root, 'usr/local/bin/pulse-agent');
    expect(hash(readFileSync(bin))).toBe(b.sha);
    expect(statSync(bin).mode & 0o777).toBe(0o755);

    const cfgPath = join(root, 'etc/pulse-agent/config.yaml');
    expect(statSync(cfgPath).mode & 0o777).toBe(0o640);
    // The agent's own config loader accepts it, and it points at the server the script came from.
    const cfg = parseConfigFile(readFileSync(cfgPath, 'utf8'), cfgPath, {});
    expect(cfg.collector).toMatchObject({ server_url: url, api_key: KEY, interval: 5000 });
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
    expect(existsSync(join(root, 'Library'))).toBe(false);
  });

  it('falls back to the gzip file where there is no xz', async () => {
    const root = scratch();
    const r = await runInstaller(`--key ${KEY} --prefix ${root}`, toolDir({ without: ['xz'] }));
    expect(r.status, r.stderr).toBe(0);
    expect(hits).toContain('/download/agent/linux-x64.gz');
    expect(hits.some((h) => h.endsWith('.xz'))).toBe(false);
    expect(r.stdout).toContain(`downloaded ${builds.get('linux-x64')!.gz.length} bytes`);
    expect(hash(installed(root))).toBe(builds.get('linux-x64')!.sha);
  });

  it('picks linux-arm64 on aarch64 (and arm64)', async () => {
    for (const machine of ['aarch64', 'arm64']) {
      const root = scratch();
      const r = await runInstaller(`--key ${KEY} --prefix ${root}`, toolDir({ machine }));
      expect(r.status, r.stderr).toBe(0);
      expect(hits).toContain('/download/agent/linux-arm64.xz');
      expect(hash(installed(root))).toBe(builds.get('linux-arm64')!.sha);
      hits.length = 0;
    }
  });

  it('refuses a binary whose sha256 does not match and installs nothing', async () => {
    const root = scratch();
    override.set('/download/agent/linux-x64.sha256', `${'f'.repeat(64)}  pulse-agent-linux-x64\n`);
    const r = await runInstaller(`--key ${KEY} --prefix ${root}`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('checksum mismatch');
    expect(existsSync(join(root, 'usr/local/bin/pulse-agent'))).toBe(false);
    expect(existsSync(join(root, 'etc/pulse-agent/config.yaml'))).toBe(false);
  });

  it('refuses a truncated download, saying it could not unpack it', async () => {
    const root = scratch();
    const xzFile = builds.get('linux-x64')!.xz;
    override.set('/download/agent/linux-x64.xz', xzFile.subarray(0, xzFile.length - 100));
    const r = await runInstaller(`--key ${KEY} --prefix ${root}`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('could not unpack');
    expect(existsSync(join(root, 'usr/local/bin/pulse-agent'))).toBe(false);
  });

  it('stops before the large download when the server has no build for this platform', async () => {
    const root = scratch();
    override.set('/download/agent/linux-arm64.sha256', 404);
    const r = await runInstaller(`--key ${KEY} --prefix ${root}`, toolDir({ machine: 'aarch64' }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('has no linux-arm64 build');
    expect(hits.filter((h) => h.startsWith('/download/'))).toEqual(['/download/agent/linux-arm64.sha256']);
  });

  it('names the builds there are on an unknown system, and points Windows at PowerShell', async () => {
    const bsd = await runInstaller(`--key ${KEY} --prefix ${scratch()}`, toolDir({ os: 'FreeBSD', machine: 'amd64' }));
    expect(bsd.status).not.toBe(0);
    expect(bsd.stderr).toContain('no agent build for FreeBSD amd64 (builds: linux-x64, linux-arm64, darwin-x64, darwin-arm64, windows-x64)');
    const win = await runInstaller(`--key ${KEY} --prefix ${scratch()}`, toolDir({ os: 'MINGW64_NT-10.0-19045', machine: 'x86_64' }));
    expect(win.stderr).toContain('PowerShell');
    expect(win.stderr).toContain('/download/agent/windows-x64.gz');
    expect(hits.filter((h) => h.startsWith('/download/'))).toEqual([]);
  });

  it('refuses a missing key or one with shell or YAML characters', async () => {
    const root = scratch();
    mkdirSync(root, { recursive: true });
    expect((await runInstaller(`--prefix ${root}`)).stderr).toContain('--key <ingest key> is required');
    const bad = await runInstaller(`--key 'x";rm -rf /' --prefix ${root}`);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('unexpected characters');
  });
});

describe('install.sh on macOS', () => {
  it('installs the darwin-arm64 build with a launchd daemon running as nobody, and no systemd unit', async () => {
    const root = scratch();
    // macOS has no xz: the gzip file.
    const r = await runInstaller(`--key ${KEY} --prefix ${root}`, toolDir({ os: 'Darwin', machine: 'arm64', without: ['xz'] }));
    expect(r.status, r.stderr).toBe(0);
    expect(hits).toContain('/download/agent/darwin-arm64.gz');
    expect(hash(installed(root))).toBe(builds.get('darwin-arm64')!.sha);

    const plistText = readFileSync(join(root, LAUNCHD.plist), 'utf8');
    expect(plistText).toBe(launchdPlist());
    expect(parsePlist(plistText)).toEqual({
      Label: LAUNCHD.label,
      ProgramArguments: ['/usr/local/bin/pulse-agent', 'run', '--config', '/etc/pulse-agent/config.yaml'],
      UserName: 'nobody',
      GroupName: 'nobody',
      RunAtLoad: true,
      KeepAlive: true,
      ThrottleInterval: 5,
      ExitTimeOut: 15,
      Umask: 0o077,
      ProcessType: 'Background',
      EnvironmentVariables: { BUN_JSC_useBaselineJIT: '0', BUN_JSC_useDFGJIT: '0', BUN_JSC_useFTLJIT: '0' },
      StandardErrorPath: '/var/lib/pulse-agent/agent.log',
    });
    expect(existsSync(join(root, 'etc/systemd'))).toBe(false);
    expect(parseConfigFile(readFileSync(join(root, 'etc/pulse-agent/config.yaml'), 'utf8'), 'config.yaml', {}).collector?.server_url).toBe(url);
    expect(r.stdout).not.toContain('useradd');
    for (const line of ['would run: codesign --force --sign - ', 'would run: chown root:nobody /etc/pulse-agent/config.yaml', 'would run: chown nobody:nobody /var/lib/pulse-agent', `would run: chown root:wheel ${LAUNCHD.plist}`, `launchctl bootstrap system ${LAUNCHD.plist}`]) {
      expect(r.stdout).toContain(line);
    }
  });

  it('takes darwin-x64 on an Intel Mac', async () => {
    const root = scratch();
    const r = await runInstaller(`--key ${KEY} --prefix ${root}`, toolDir({ os: 'Darwin', machine: 'x86_64' }));
    expect(r.status, r.stderr).toBe(0);
    expect(hits).toContain('/download/agent/darwin-x64.xz');
    expect(hash(installed(root))).toBe(builds.get('darwin-x64')!.sha);
  });
});
