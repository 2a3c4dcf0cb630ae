import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOutputs, executableKind, MAX_BYTES, notIgnored, OUTPUT_DIRS, trackedFiles, type TrackedFile } from './tracked-outputs.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp: string[] = [];
afterEach(() => tmp.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const file = (p: string, head = 'export const x = 1;\n', size = head.length): TrackedFile => ({ path: p, size, head: Buffer.from(head, 'latin1') });
/** A minimal PE header: "MZ", e_lfanew at 0x3c pointing at "PE\0\0". */
function pe(): string {
  const b = Buffer.alloc(0x80);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x40, 0x3c);
  b.write('PE\0\0', 0x40, 'latin1');
  return b.toString('latin1');
}

function sh(cwd: string, ...args: string[]) {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

describe('buildOutputs: the rules', () => {
  it('names build output by directory, split part, executable format and size; source passes', () => {
    const found = buildOutputs([
      file('worker/app.ts'),
      file('site/public/favicon.svg', '<svg/>'),
      file('dist/public/index.html', '<html>'),
      file('public/downloads/pulse-agent-linux-x64.json', '{}'),
      file('agent/dist/pulse-agent-linux-x64', 'x'),
      file('.wrangler/state/v3/d1.sqlite', 'SQLite'),
      file('site/node_modules/x/index.js'),
      file('downloads/pulse-agent.part03', 'xx'),
      file('tools/helper', '\x7fELF\x02\x01\x01'),
      file('tools/helper.exe', pe()),
      file('tools/mac', '\xcf\xfa\xed\xfe'),
      file('docs/big.json', '{', MAX_BYTES + 1),
      file('docs/readme.md', 'MZ is how this line starts, and it is text'),
    ]);
    expect(found.map((f) => f.path)).toEqual([
      'dist/public/index.html',
      'public/downloads/pulse-agent-linux-x64.json',
      'agent/dist/pulse-agent-linux-x64',
      '.wrangler/state/v3/d1.sqlite',
      'site/node_modules/x/index.js',
      'downloads/pulse-agent.part03',
      'tools/helper',
      'tools/helper.exe',
      'tools/mac',
      'docs/big.json',
    ]);
    expect(found.find((f) => f.path === 'tools/helper.exe')?.why).toContain('PE');
    expect(found.find((f) => f.path === 'docs/big.json')?.why).toContain('MiB');
  });

  it('tells executable formats from text', () => {
    expect(executableKind(Buffer.from('\x7fELF', 'latin1'))).toContain('ELF');
    expect(executableKind(Buffer.from('\0asm\x01\0\0\0', 'latin1'))).toContain('WebAssembly');
    expect(executableKind(Buffer.from('#!/bin/sh\n'))).toBeNull();
    expect(executableKind(Buffer.from(''))).toBeNull();
  });
});

describe('this checkout', () => {
  // CI runs `npm test` on a fresh clone, so git is there; outside a checkout this throws, naming why.
  it('tracks no build output', () => {
    const files = trackedFiles(ROOT);
    expect(files.map((f) => f.path)).toContain('package.json');
    const found = buildOutputs(files);
    expect(found, `build output tracked by git (git rm --cached it and ignore it):\n${found.map((f) => `  ${f.path}: ${f.why}`).join('\n')}`).toEqual([]);
  });

  it('ignores every build output directory', () => {
    const probes = OUTPUT_DIRS.map((d) => `${d}probe`);
    expect(notIgnored(ROOT, probes), 'add these to .gitignore').toEqual([]);
  });
});

describe('trackedFiles against a scratch repository', () => {
  function repo() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracked-outputs-'));
    tmp.push(dir);
    sh(dir, 'init', '-q');
    fs.writeFileSync(path.join(dir, 'main.ts'), 'export {};\n');
    return dir;
  }

  it('finds a staged build output and a committed binary by their real contents and index sizes', () => {
    const dir = repo();
    fs.mkdirSync(path.join(dir, 'dist/downloads'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'dist/downloads/pulse-agent-linux-x64.json'), '{}');
    fs.writeFileSync(path.join(dir, 'agent-bin'), Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(100)]));
    fs.writeFileSync(path.join(dir, 'blob.dat'), Buffer.alloc(MAX_BYTES + 10, 'a'));
    sh(dir, 'add', '-A');
    sh(dir, '-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-q', '-m', 'x');
    // Staged but deleted from the work tree: still tracked, still found by its index size.
    fs.rmSync(path.join(dir, 'blob.dat'));
    const files = trackedFiles(dir);
    expect(files.find((f) => f.path === 'blob.dat')).toMatchObject({ size: MAX_BYTES + 10, head: null });
    expect(buildOutputs(files).map((f) => f.path).sort()).toEqual(['agent-bin', 'blob.dat', 'dist/downloads/pulse-agent-linux-x64.json']);
  });

  it('throws, naming why, outside a git checkout', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'not-a-repo-'));
    tmp.push(dir);
    expect(() => trackedFiles(dir)).toThrow(/git checkout/);
  });
});
