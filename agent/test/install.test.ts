// `pulse-agent install` / `uninstall` for macOS and Windows, under a prefix (the Linux path is in
// health.test.ts). Under a prefix nothing runs: the commands are printed.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { install, uninstall } from '../install.ts';
import { LAUNCHD, launchdPlist } from '../unit.ts';

function setup() {
  const prefix = mkdtempSync(join(tmpdir(), 'pulse-inst-'));
  const binary = join(prefix, 'fake-bin');
  writeFileSync(binary, 'Mach-O-ish');
  const out: string[] = [];
  const ran: string[][] = [];
  return { prefix, binary, out, ran, log: (l: string) => out.push(l), exec: (argv: string[]) => (ran.push(argv), 0) };
}

describe('pulse-agent install on macOS (--prefix)', () => {
  it('writes the binary, config and launchd daemon, printing codesign, chown and launchctl', () => {
    const s = setup();
    const code = install({ prefix: s.prefix, binary: s.binary, serverUrl: 'https://pulse.example.com', apiKey: 'mk_ingest_0123456789', start: true, out: s.log, exec: s.exec, os: 'darwin' });
    expect(code).toBe(0);
    expect(s.ran).toEqual([]); // nothing runs under a prefix
    expect(readFileSync(join(s.prefix, 'usr/local/bin/pulse-agent'), 'utf8')).toBe('Mach-O-ish');
    expect(statSync(join(s.prefix, 'etc/pulse-agent/config.yaml')).mode & 0o777).toBe(0o640);
    expect(readFileSync(join(s.prefix, LAUNCHD.plist), 'utf8')).toBe(launchdPlist());
    expect(existsSync(join(s.prefix, 'etc/systemd'))).toBe(false);
    const text = s.out.join('\n');
    for (const line of [
      `would run: codesign --force --sign - ${s.prefix}/usr/local/bin/pulse-agent.new`,
      'would run: chown root:nobody /etc/pulse-agent/config.yaml',
      'would run: chown nobody:nobody /var/lib/pulse-agent',
      `would run: chown root:wheel ${LAUNCHD.plist}`,
      `would run: launchctl bootout system/${LAUNCHD.label}`,
      `would run: launchctl bootstrap system ${LAUNCHD.plist}`,
    ]) expect(text).toContain(line);
    expect(text).not.toContain('useradd');

    expect(uninstall({ prefix: s.prefix, purge: true, out: s.log, exec: s.exec, os: 'darwin' })).toBe(0);
    for (const p of [LAUNCHD.plist, '/usr/local/bin/pulse-agent', '/etc/pulse-agent', '/var/lib/pulse-agent']) expect(existsSync(join(s.prefix, p))).toBe(false);
    expect(s.out.join('\n')).not.toContain('userdel');
  });
});

describe('pulse-agent install on Windows', () => {
  it('points at the scheduled-task steps instead of installing anything', () => {
    const s = setup();
    expect(install({ prefix: s.prefix, binary: s.binary, serverUrl: 'https://pulse.example.com', apiKey: 'mk_ingest_0123456789', start: true, out: s.log, exec: s.exec, os: 'win32' })).toBe(2);
    expect(s.out.join('\n')).toContain('scheduled task');
    expect(existsSync(join(s.prefix, 'usr'))).toBe(false);
    expect(uninstall({ prefix: s.prefix, purge: false, out: s.log, exec: s.exec, os: 'win32' })).toBe(2);
  });
});
