// Nothing generated belongs in git (issue #11: a stale build output, the agent binary in parts,
// was once committed in a merge). buildOutputs() is the pure rule set; trackedFiles() asks git
// what it tracks (the index, so a `git add` is caught before the commit). The check runs in
// `npm test`: scripts/lib/tracked-outputs.test.ts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Directories only builds, the dev stack or the tests write, from the top of the checkout (each is
 * in .gitignore). Only the top-level public/ is output: an Astro site's own public/ is source.
 */
export const OUTPUT_DIRS = ['dist/', 'public/', 'agent/dist/', 'site/dist/', 'site/.astro/', '.data/', '.wrangler/', 'e2e/screenshots/', 'node_modules/'];
/** Larger than any source file here (the biggest, worker-configuration.d.ts, is ~0.6 MB). */
export const MAX_BYTES = 5 * 1024 * 1024;

export interface TrackedFile {
  path: string;
  /** Size of the blob in the index. */
  size: number;
  /** The first bytes of the file (up to 4 KiB), or null when it is not in the work tree. */
  head: Buffer | null;
}

/** ELF, Mach-O (thin or fat), PE (MZ with a PE header) or WebAssembly: compiled, never source. */
export function executableKind(head: Buffer): string | null {
  if (head.length < 4) return null;
  const m = head.readUInt32BE(0);
  if (m === 0x7f454c46) return 'an ELF executable';
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(m)) return 'a Mach-O executable';
  if (m === 0x0061736d) return 'a WebAssembly module';
  if (head[0] === 0x4d && head[1] === 0x5a && head.length >= 0x40) {
    const pe = head.readUInt32LE(0x3c);
    if (pe + 4 <= head.length && head.readUInt32BE(pe) === 0x50450000) return 'a Windows (PE) executable';
  }
  return null;
}

/** Every tracked file that looks like build output, with the reason. */
export function buildOutputs(files: TrackedFile[]): { path: string; why: string }[] {
  const found: { path: string; why: string }[] = [];
  for (const f of files) {
    const dir = OUTPUT_DIRS.find((d) => f.path.startsWith(d)) ?? (f.path.includes('/node_modules/') ? 'node_modules/' : undefined);
    const exe = f.head ? executableKind(f.head) : null;
    if (dir) found.push({ path: f.path, why: `under ${dir}, a build output directory` });
    else if (/\.part\d+$/.test(f.path)) found.push({ path: f.path, why: 'a part of a split download' });
    else if (exe) found.push({ path: f.path, why: `${exe}` });
    else if (f.size > MAX_BYTES) found.push({ path: f.path, why: `${(f.size / 1048576).toFixed(1)} MiB, over the ${MAX_BYTES / 1048576} MiB no source file reaches` });
  }
  return found;
}

function git(root: string, args: string[], input?: string): string {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`cannot run git (${r.error.message}): this check reads the tracked files with \`git ls-files\`, so it needs a git checkout`);
  if (r.status !== 0) throw new Error(`git ${args[0]} failed in ${root}: ${r.stderr.trim()}; this check needs a git checkout (CI runs on a fresh clone)`);
  return r.stdout;
}

/** The files git tracks under `root` (staged ones included), with their index sizes. */
export function trackedFiles(root: string): TrackedFile[] {
  const top = git(root, ['rev-parse', '--show-toplevel']).trim();
  if (path.resolve(top) !== path.resolve(root)) throw new Error(`${root} is not the top of a git checkout (git says ${top})`);
  // "<mode> <object> <stage>\t<path>", NUL-separated so any file name survives.
  const entries = git(root, ['ls-files', '-s', '-z']).split('\0').filter(Boolean).map((line) => {
    const tab = line.indexOf('\t');
    return { object: line.slice(0, tab).split(' ')[1]!, path: line.slice(tab + 1) };
  });
  // Submodules (gitlinks) have no blob here; cat-file reports them as missing, size 0.
  const sizes = git(root, ['cat-file', '--batch-check=%(objectsize)'], entries.map((e) => e.object).join('\n') + '\n').split('\n');
  return entries.map((e, i) => {
    let head: Buffer | null = null;
    try {
      const fd = fs.openSync(path.join(root, e.path), 'r');
      try {
        const buf = Buffer.alloc(4096);
        head = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0));
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      head = null; // deleted from the work tree but still in the index: the size rule still applies
    }
    return { path: e.path, size: Number(sizes[i]) || 0, head };
  });
}

/** Which of `paths` git would NOT ignore (git check-ignore --no-index: even if tracked). */
export function notIgnored(root: string, paths: string[]): string[] {
  const r = spawnSync('git', ['check-ignore', '--no-index', '--stdin', '-z'], { cwd: root, encoding: 'utf8', input: paths.join('\0') + '\0' });
  if (r.error || (r.status !== 0 && r.status !== 1)) throw new Error(`git check-ignore failed: ${r.error?.message ?? r.stderr}`);
  const ignored = new Set(r.stdout.split('\0').filter(Boolean));
  return paths.filter((p) => !ignored.has(p));
}
