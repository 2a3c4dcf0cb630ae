import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostInfo } from '../../protocol/index.ts';
import { hostId, hostInfo, osName, toId } from '../host.ts';
import { createLogger, parseLevel } from '../log.ts';

describe('logger', () => {
  it('writes one JSON object per line at or above the level, to the file too', () => {
    const lines: string[] = [];
    const file = join(mkdtempSync(join(tmpdir(), 'pulse-log-')), 'agent.log');
    const log = createLogger({ level: 'WARNING', file, write: (l) => lines.push(l) });
    log.info('hidden');
    log.warning('disk slow', { collector: 'diskio' });
    log.error('boom', { error: new Error('bad thing') });
    expect(lines).toHaveLength(2);
    const [w, e] = lines.map((l) => JSON.parse(l));
    expect(w).toMatchObject({ level: 'WARNING', msg: 'disk slow', collector: 'diskio' });
    expect(e).toMatchObject({ level: 'ERROR', error: 'bad thing' });
    expect(readFileSync(file, 'utf8')).toBe(lines.join(''));
    expect(parseLevel('warn')).toBe('WARNING');
    expect(parseLevel('verbose')).toBeUndefined();
  });
});

describe('host identity', () => {
  it('hashes the machine id (stable, not the raw id), else uses the hostname', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-host-'));
    writeFileSync(join(dir, 'machine-id'), '3d1219c7c4c5404aaa1f6d2a48adfda4\n');
    const a = hostId([join(dir, 'machine-id')], 'web-1');
    expect(a).toMatch(/^m-[0-9a-f]{24}$/);
    expect(a).not.toContain('3d1219c7');
    expect(hostId([join(dir, 'machine-id')], 'other-name')).toBe(a);
    expect(hostId([join(dir, 'missing')], 'web 1.example.com')).toBe('web-1.example.com');
    expect(toId('ünïcode host!')).toBe('n-code-host');
  });

  it('names the OS from os-release and produces a valid wire HostInfo', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-os-'));
    writeFileSync(join(dir, 'os-release'), 'NAME="Ubuntu"\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\n');
    if (process.platform === 'linux') expect(osName(join(dir, 'os-release'))).toBe('Ubuntu 24.04.1 LTS');
    expect(HostInfo.parse(hostInfo())).toMatchObject({ agentVersion: '0.1.0' });
    expect(hostInfo({ id: 'my host' }).id).toBe('my-host');
  });
});
