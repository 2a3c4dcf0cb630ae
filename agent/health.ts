// The agent's own health: a small state snapshot the running agent writes next to its spool every
// interval (and serves on 127.0.0.1 when health.port is set), and the verdict `pulse-agent health`
// draws from it. Unhealthy = the agent is not running, or samples are being produced but none has
// reached the server for 3 intervals.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AgentState {
  version: string;
  pid: number;
  hostId: string;
  server: string | null;
  startedAt: number;
  /** When this snapshot was taken (the agent's last tick). */
  updatedAt: number;
  intervalMs: number;
  lastSampleAt: number | null;
  /** Last batch the server acknowledged (live or replayed). */
  lastSendOkAt: number | null;
  lastSendError: string | null;
  online: boolean;
  sent: number;
  sendFailures: number;
  spool: { depth: number; bytes: number; dropped: number; dir: string | null };
  /** Samples collected but not yet in a batch (offline: waiting to be sealed into the spool). */
  pendingSamples: number;
  /** Batches the server acknowledged but has not reported durable yet (kept on disk until it does). */
  unconfirmedBatches?: number;
  /** How samples go out now: the stream, POST (the stream's fallback, or --transport http). */
  transport?: 'ws' | 'http' | 'idle';
  /** Collectors failing in the last collection, with their error, and failure counts since start. */
  collectors: Record<string, { ok: boolean; failures: number; error?: string }>;
}

export interface Verdict {
  healthy: boolean;
  problems: string[];
  warnings: string[];
}

/** How many intervals without a successful send (while sampling) make the agent unhealthy. */
export const MISSED_INTERVALS = 3;

const ago = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

export function evaluate(s: AgentState, now: number): Verdict {
  const problems: string[] = [];
  const warnings: string[] = [];
  const window = MISSED_INTERVALS * s.intervalMs;
  // A little slack past 3 intervals: a tick lands a few ms late and a send takes a moment.
  const slack = Math.max(1_000, s.intervalMs / 2);
  if (now - s.updatedAt > window + slack) {
    problems.push(`agent not running: state last updated ${ago(now - s.updatedAt)} ago (pid ${s.pid})`);
  }
  const producing = s.lastSampleAt !== null && now - s.lastSampleAt <= window + slack;
  const since = s.lastSendOkAt ?? s.startedAt;
  if (producing && now - since > window + slack) {
    const what = s.lastSendOkAt === null ? 'no batch acknowledged since start' : `last successful send ${ago(now - s.lastSendOkAt)} ago`;
    problems.push(`not delivering: ${what}${s.lastSendError ? ` (${s.lastSendError})` : ''}; ${s.spool.depth} batches spooled`);
  }
  for (const [name, c] of Object.entries(s.collectors)) {
    if (!c.ok) warnings.push(`collector ${name} failing: ${c.error ?? 'unknown error'}`);
  }
  if (s.spool.dropped > 0) warnings.push(`${s.spool.dropped} spooled batches dropped (spool full or unreadable)`);
  return { healthy: problems.length === 0, problems, warnings };
}

let tmpSeq = 0;

/** Atomic replace, so a reader never sees half a file (a unique temp name: two writes may overlap). */
export async function writeState(file: string, s: AgentState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${++tmpSeq}.tmp`;
  await writeFile(tmp, JSON.stringify(s) + '\n', { mode: 0o644 });
  await rename(tmp, file);
}

export async function readState(file: string): Promise<AgentState> {
  return JSON.parse(await readFile(file, 'utf8')) as AgentState;
}

/** GET /health on 127.0.0.1 only: 200 healthy, 503 unhealthy, with the verdict and the state. */
export async function startHealthServer(port: number, state: () => AgentState): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/health' && path !== '/')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found; try GET /health"}');
      return;
    }
    const s = state();
    const v = evaluate(s, Date.now());
    res.writeHead(v.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ...v, state: s }));
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(port, '127.0.0.1', () => res());
  });
  server.unref();
  return { server, port: (server.address() as AddressInfo).port };
}

export interface HealthReport extends Verdict {
  state: AgentState | null;
  source: string;
}

/** What `pulse-agent health` looks at: the local endpoint when configured, else the state file. */
export async function checkHealth(opts: { port: number | null; stateFile: string | null; now?: number }): Promise<HealthReport> {
  const now = opts.now ?? Date.now();
  if (opts.port) {
    const source = `http://127.0.0.1:${opts.port}/health`;
    try {
      const res = await fetch(source, { signal: AbortSignal.timeout(3_000) });
      const body = (await res.json()) as Verdict & { state: AgentState };
      return { healthy: body.healthy, problems: body.problems, warnings: body.warnings, state: body.state, source };
    } catch (e) {
      // Endpoint down: the state file still tells whether the agent ran and when it stopped.
      if (!opts.stateFile) return { healthy: false, problems: [`cannot reach ${source}: ${(e as Error).message}`], warnings: [], state: null, source };
    }
  }
  if (!opts.stateFile) return { healthy: false, problems: ['no state file and no health port configured (see --state-file, --health-port)'], warnings: [], state: null, source: '' };
  let state: AgentState;
  try {
    state = await readState(opts.stateFile);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist (has the agent run?)' : (e as Error).message;
    return { healthy: false, problems: [`state file ${opts.stateFile} ${why}`], warnings: [], state: null, source: opts.stateFile };
  }
  return { ...evaluate(state, now), state, source: opts.stateFile };
}

export function formatReport(r: HealthReport, now = Date.now()): string {
  const lines = [`status: ${r.healthy ? 'healthy' : 'UNHEALTHY'}${r.source ? ` (from ${r.source})` : ''}`];
  const s = r.state;
  if (s) {
    lines.push(
      `agent: ${s.version}, pid ${s.pid}, host ${s.hostId}, server ${s.server ?? '-'}, interval ${s.intervalMs / 1000} s`,
      `last successful send: ${s.lastSendOkAt ? `${new Date(s.lastSendOkAt).toISOString()} (${ago(now - s.lastSendOkAt)} ago)` : 'never'}`,
      `spool: ${s.spool.depth} batches, ${s.spool.bytes} bytes, ${s.spool.dropped} dropped; ${s.pendingSamples} samples in memory; ${s.unconfirmedBatches ?? 0} unconfirmed; ${s.online ? 'online' : 'offline'}${s.transport ? ` (${s.transport === 'idle' ? 'nothing sent yet' : s.transport === 'ws' ? 'streaming' : 'POST'})` : ''}`,
      `sends: ${s.sent} ok, ${s.sendFailures} failed attempts`,
      `collectors: ${Object.entries(s.collectors).map(([n, c]) => `${n} ${c.ok ? 'ok' : 'FAILING'}${c.failures ? ` (${c.failures} failures)` : ''}`).join(', ') || '-'}`,
    );
  }
  for (const p of r.problems) lines.push(`problem: ${p}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}
