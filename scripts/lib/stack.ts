// Starts the local stack: Postgres (embedded unless DATABASE_URL), migrations, the WebSocket shim,
// a seeded organization, a local Resend stand-in that catches email (scripts/lib/mail-catcher.ts),
// and the worker with its objects in local workerd (`wrangler dev`).
// Used by `npm run dev`, the e2e tests and the benchmarks; stop() ends everything it started.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { eq } from 'drizzle-orm';
import { sha256Hex } from '../../worker/auth/crypto.ts';
import { randomToken } from '../../worker/auth/crypto.ts';
import { users } from '../../worker/db/schema.ts';
import { addMember, createApiKey, createTenant, createUser, findKeyByHash } from '../../worker/db/tenants.ts';
import { buildSite } from '../build-site.ts';
import { syncAssets } from './assets.ts';
import { preparePlatformAssets } from './platform-assets.ts';
import { migrateDatabase } from './migrate.ts';
import { startPgWsShim, type ShimStats } from './pg-ws-shim.ts';
import { runtimeUrlFrom } from './wrangler-log.ts';
import { startMailCatcher } from './mail-catcher.ts';
import { freePort, startPostgres } from './postgres.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Credentials {
  url: string;
  ingestKey: string;
  readKey: string;
  email: string;
  password: string;
}

export interface StackOptions {
  dataDir: string;
  persistent: boolean;
  port?: number;
  log: (msg: string) => void;
  /** false: no rate limits (benchmarks that push one host past its limit on purpose). */
  rateLimits?: boolean;
  /** A shorter anomaly warm-up (minutes) for the browser tests (docs/anomalies.md). */
  anomalyWarmupMinutes?: number;
  /** true: objects count billed requests, alarms and SQLite rows for bench:cost (worker/routes/dev/cost.ts). */
  costCounters?: boolean;
  /** Seed credentials to reuse when their keys still exist. */
  previous?: Partial<Credentials>;
  /** Build the site into the static assets first (dev, e2e, bench:dashboard). */
  buildSite?: boolean;
  /** Also find the runtime's own address behind wrangler's dev proxy (Stack.runtimeUrl). */
  runtimeUrl?: boolean;
  /** Aborts the start between steps (Ctrl-C): what has started is stopped, then it throws. */
  signal?: AbortSignal;
}

export interface Stack {
  url: string;
  /**
   * The local workerd that runs the worker and its objects, without wrangler's dev proxy in
   * front (asked for with StackOptions.runtimeUrl; null when wrangler did not say). Every request
   * through `url` passes one proxy Durable Object in a second workerd, which exists only in
   * `wrangler dev` (it holds requests while the worker reloads); benchmarks measure behind it.
   */
  runtimeUrl: string | null;
  databaseUrl: string;
  /** The WebSocket shim's counts (WebSocket upgrades and /sql statements), for benchmarks. */
  pgStats(): ShimStats;
  credentials: Credentials;
  /** Where caught email is written (`<dataDir>/mail`). */
  mailDir: string;
  /** Stops everything it started, logging a line for each part. */
  stop(): Promise<void>;
}

async function seed(databaseUrl: string, previous: Partial<Credentials> | undefined): Promise<Omit<Credentials, 'url'>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const db = drizzle(client);
    // Reuse earlier credentials (older runs used an @localhost email the login form refuses).
    if (previous?.ingestKey && previous.readKey && previous.email?.endsWith('.test') && previous.password) {
      const [i, r] = await Promise.all([findKeyByHash(db, await sha256Hex(previous.ingestKey)), findKeyByHash(db, await sha256Hex(previous.readKey))]);
      if (i && r) return { ingestKey: previous.ingestKey, readKey: previous.readKey, email: previous.email, password: previous.password };
    }
    const tenant = await createTenant(db, 'Dev Org');
    const email = `dev-${randomToken(6).toLowerCase()}@pulse.test`;
    const password = randomToken(16);
    const user = await createUser(db, email, password, 'Dev User');
    await addMember(db, tenant.id, user.id, 'owner');
    await db.update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, user.id));
    const ingest = await createApiKey(db, tenant.id, 'ingest', 'dev agent');
    const read = await createApiKey(db, tenant.id, 'read', 'dev read');
    return { ingestKey: ingest.secret, readKey: read.secret, email, password };
  } finally {
    await client.end();
  }
}

export async function waitForHealth(url: string, child: ChildProcess, timeoutMs = 90_000, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/api/v1/health`);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the worker did not become healthy within ${timeoutMs / 1000} s: ${last}`);
}

/** The last lines of a log file ("(no log)" when there is none). */
function logTail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') || '(empty log)';
  } catch {
    return '(no log)';
  }
}

/**
 * Stops a detached child and its process group (wrangler and its workerd): TERM, then KILL after
 * 5 s; a leader already gone may leave its workerd behind, which gets KILL at once.
 */
function stopGroup(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* the group is gone too */
      }
      return resolve();
    }
    child.once('exit', () => resolve());
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      resolve();
    }
    setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      resolve();
    }, 5000).unref();
  });
}

export function bin(name: string): string {
  return path.join(ROOT, 'node_modules', '.bin', name);
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  // Each part started, with what to log once it has stopped (or failed to); last started, first stopped.
  const cleanups: { done: string; failed: string; run: () => Promise<void> | void }[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c.run();
        opts.log(c.done);
      } catch (e) {
        opts.log(`${c.failed}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    cleanups.length = 0;
  };
  const part = (name: string, run: () => Promise<void> | void, kept = '') => cleanups.push({ done: `Stopped ${name}${kept}`, failed: `Could not stop ${name}`, run });
  const show = (p: string) => (p.startsWith(`${ROOT}${path.sep}`) ? path.relative(ROOT, p) : p);
  // A throwaway stack leaves nothing behind (runs last: after workerd and Postgres have stopped).
  if (!opts.persistent) {
    cleanups.push({ done: `Removed ${show(opts.dataDir)}`, failed: `Could not remove ${show(opts.dataDir)}`, run: () => fs.rmSync(opts.dataDir, { recursive: true, force: true }) });
  }
  try {
    opts.log(process.env.DATABASE_URL ? 'Using DATABASE_URL' : 'Starting PostgreSQL (embedded)');
    const pgLog = path.join(opts.dataDir, 'postgres.log');
    const pgRun = await startPostgres({ dataDir: path.join(opts.dataDir, 'pg'), persistent: opts.persistent, log: opts.log, logFile: pgLog });
    const kept = opts.persistent && pgRun.dataDir ? ` (data kept in ${show(pgRun.dataDir)})` : '';
    if (pgRun.embedded) part('PostgreSQL', () => pgRun.stop(), kept);
    if (pgRun.dataDir) opts.log(`PostgreSQL is up, data in ${show(pgRun.dataDir)} (log: ${show(pgLog)})`);
    opts.signal?.throwIfAborted();
    opts.log('Applying migrations');
    await migrateDatabase(pgRun.url);
    const shim = await startPgWsShim();
    part('the WebSocket shim to PostgreSQL', () => shim.close());
    const creds = await seed(pgRun.url, opts.previous);
    // Email goes to a local Resend stand-in, never out: written under <dataDir>/mail and logged.
    const mailDir = path.join(opts.dataDir, 'mail');
    const mail = await startMailCatcher({ dir: mailDir, log: opts.log });
    part('the email catcher', () => mail.close(), ` (messages kept in ${show(mailDir)}/)`);

    if (opts.buildSite) {
      opts.log('Building the site (Astro)');
      await buildSite(opts.log); // includes the platform assets
    } else {
      syncAssets(); // wrangler needs the assets directory to exist
      await preparePlatformAssets(); // Swagger UI for /api/docs and _headers (scripts/lib/platform-assets.ts)
    }
    opts.signal?.throwIfAborted();
    const wranglerLog = path.join(opts.dataDir, 'wrangler.log');
    const launch = (port: number) => {
      const url = `http://127.0.0.1:${port}`;
      opts.log(`Starting the worker and its Durable Objects in local workerd on ${url}`);
      const child = spawn(
        bin('wrangler'),
        [
          'dev',
          '--port', String(port),
          '--ip', '127.0.0.1',
          '--persist-to', path.join(opts.dataDir, 'wrangler'),
          '--var', `DATABASE_URL:${pgRun.url}`,
          '--var', `PG_WS_PROXY:${shim.proxy}`,
          '--var', 'ENVIRONMENT:development',
          '--var', `RESEND_BASE_URL:${mail.url}`,
          '--var', 'RESEND_API_KEY:re_local_catcher',
          '--var', `RATE_LIMITS:${opts.rateLimits === false ? 'off' : 'on'}`,
          ...(opts.anomalyWarmupMinutes ? ['--var', `ANOMALY_WARMUP_MINUTES:${opts.anomalyWarmupMinutes}`] : []),
          '--var', `COST_COUNTERS:${opts.costCounters ? 'on' : 'off'}`,
          '--show-interactive-dev-session=false',
          // wrangler names the runtime's address only in its debug log (the proxy's reloadComplete).
          '--log-level', opts.runtimeUrl ? 'debug' : 'warn',
        ],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
          // X_LOCAL_OBSERVABILITY: wrangler's local trace collector takes a tail event stream of
          // every invocation; measured, 14 % of workerd's CPU at 200 req/s (docs/performance.md).
          // Production logs leave the isolate for free. Set it to true to use the local explorer's traces.
          env: { X_LOCAL_OBSERVABILITY: 'false', ...process.env, WRANGLER_SEND_METRICS: 'false' },
          detached: true,
        },
      );
      // Appended, so a failed start's log stays beside the next try's.
      const logFile = fs.createWriteStream(wranglerLog, { flags: 'a' });
      child.stdout!.pipe(logFile);
      child.stderr!.pipe(logFile);
      const found = { runtimeUrl: null as string | null };
      if (opts.runtimeUrl) {
        for (const stream of [child.stdout!, child.stderr!]) {
          let seen = ''; // per stream, so the other's chunks cannot split a line
          stream.on('data', (chunk: Buffer) => {
            seen = (seen + chunk.toString()).slice(-8192);
            found.runtimeUrl = runtimeUrlFrom(seen) ?? found.runtimeUrl;
          });
        }
      }
      return { url, child, found };
    };
    fs.rmSync(wranglerLog, { force: true }); // this start's tries only (a kept data dir keeps its log)
    // A wrangler dev that exits while starting (seen in CI, once in a few dozen starts: a port
    // taken between freePort and its bind, say) is tried again on a new port, its log shown.
    let run = launch(opts.port ?? (await freePort()));
    part('the worker and its Durable Objects (wrangler dev)', () => stopGroup(run.child));
    for (let attempt = 1; ; attempt++) {
      try {
        await waitForHealth(run.url, run.child, undefined, opts.signal);
        if (run.found.runtimeUrl) await waitForHealth(run.found.runtimeUrl, run.child, undefined, opts.signal);
        break;
      } catch (err) {
        const tail = logTail(wranglerLog);
        if (run.child.exitCode === null || attempt >= 3 || opts.signal?.aborted) throw new Error(`${err instanceof Error ? err.message : String(err)}; the end of ${show(wranglerLog)}:\n${tail}`);
        opts.log(`wrangler dev exited while starting (try ${attempt} of 3); the end of its log:\n${tail}`);
        await stopGroup(run.child); // its workerd may outlive it
        run = launch(opts.port ?? (await freePort()));
      }
    }
    const { url } = run;
    const runtimeUrl = run.found.runtimeUrl;
    opts.log(`Email is caught: links are printed here, messages written to ${show(mailDir)}/`);
    return { url, runtimeUrl, databaseUrl: pgRun.url, pgStats: () => shim.stats(), credentials: { url, ...creds }, mailDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
