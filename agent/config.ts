// Agent configuration: defaults < collector-config.yaml (spec §7.2) < PULSE_* env vars < CLI flags.
// A bad file is reported with the key and line it is about, e.g.
//   /etc/pulse/agent.yaml:7: metrics.cpu.per_cpu: expected boolean, received string
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { DEFAULT_METRICS, type MetricsSettings } from './collectors/index.ts';
import { DEFAULT_CUSTOM, type CustomSettings } from './collectors/custom.ts';
import { parseLevel, type Level } from './log.ts';

export interface AgentConfig {
  intervalMs: number;
  serverUrl: string | null;
  apiKey: string | null;
  hostId: string | null;
  hostName: string | null;
  procRoot: string;
  sysRoot: string;
  rootFs: string;
  collectorTimeoutMs: number;
  sendTimeoutMs: number;
  /** ws: stream to the host object over one WebSocket, falling back to POST; http: POST only. */
  transport: 'ws' | 'http';
  metrics: MetricsSettings;
  logging: { level: Level; file: string | null };
  spool: { dir: string | null; maxBytes: number };
  custom: CustomSettings;
  /** port: the local health endpoint on 127.0.0.1 (null = off); stateFile: where `health` reads the agent's state. */
  health: { port: number | null; stateFile: string | null };
}

/** The state file lives next to the spool directory (its parent), so one writable directory holds both. */
export function defaultStateFile(spoolDir: string | null): string | null {
  return spoolDir ? join(dirname(spoolDir), 'state.json') : null;
}

export class ConfigError extends Error {}

/** Root keeps its spool under /var/lib; other users under their XDG state directory. */
export function defaultSpoolDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return '/var/lib/pulse-agent/spool';
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'pulse-agent', 'spool');
}

export function defaultConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return {
    intervalMs: 5_000,
    serverUrl: null,
    apiKey: null,
    hostId: null,
    hostName: null,
    procRoot: '/proc',
    sysRoot: '/sys',
    rootFs: '',
    collectorTimeoutMs: 2_000,
    sendTimeoutMs: 10_000,
    transport: 'ws',
    metrics: structuredClone(DEFAULT_METRICS),
    logging: { level: 'INFO', file: null },
    spool: { dir: defaultSpoolDir(env), maxBytes: 64 * 1024 * 1024 },
    custom: structuredClone(DEFAULT_CUSTOM),
    health: { port: null, stateFile: null },
  };
}

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "5s", "500ms", "1m", "1h", or a bare number of seconds. */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === 'number') return v >= 0 ? v * 1000 : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
  return m ? Number(m[1]) * UNITS_MS[m[2] ?? 's']! : undefined;
}

const UNITS_B: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** "64MB", "1GiB", or a bare number of bytes. */
export function parseSize(v: string | number): number | undefined {
  if (typeof v === 'number') return v >= 0 ? v : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  const f = m && UNITS_B[m[2]!.toLowerCase()];
  return f ? Math.floor(Number(m[1]) * f) : undefined;
}

const duration = (min: number, max: number) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `expected a duration between ${min / 1000}s and ${max / 1000}s like "5s" or "500ms", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return ms;
  });
const size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const b = parseSize(v);
  if (b === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a size like "64MB", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return b;
});
const level = z.string().transform((v, ctx) => {
  const l = parseLevel(v);
  if (!l) {
    ctx.addIssue({ code: 'custom', message: `expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return l;
});
const names = z.array(z.string());
const port = z.number().int().min(0).max(65535);
const str = z.string().nullable();

/** The file's shape, in the spec's snake_case. Unknown keys are errors (they are usually typos). */
const FileSchema = z.strictObject({
  collector: z
    .strictObject({
      interval: duration(1_000, 3_600_000),
      server_url: str,
      api_key: str,
      host_id: str,
      host_name: str,
      timeout: duration(100, 60_000),
      send_timeout: duration(1_000, 300_000),
      transport: z.enum(['ws', 'http']),
      proc_root: z.string(),
      sys_root: z.string(),
      root_fs: z.string(),
    })
    .partial(),
  metrics: z
    .strictObject({
      cpu: z.strictObject({ enabled: z.boolean(), per_cpu: z.boolean() }).partial(),
      memory: z.strictObject({ enabled: z.boolean() }).partial(),
      disk: z
        .strictObject({ enabled: z.boolean(), exclude_devices: names, exclude_fs_types: names, usage_interval: duration(1_000, 3_600_000) })
        .partial(),
      network: z.strictObject({ enabled: z.boolean(), interfaces: names.nullable(), exclude_interfaces: names }).partial(),
    })
    .partial(),
  logging: z.strictObject({ level, file: str }).partial(),
  spool: z.strictObject({ dir: str, enabled: z.boolean(), max_size: size }).partial(),
  custom: z
    .strictObject({
      prometheus: z.array(z.string().regex(/^https?:\/\/[^/]/, 'expected an http:// or https:// URL')),
      exec: z.array(z.union([z.string().min(1), z.array(z.string()).min(1)])),
      timeout: duration(100, 60_000),
      max_series: z.number().int().min(1).max(2000),
    })
    .partial(),
  health: z.strictObject({ port: port.nullable(), state_file: str }).partial(),
}).partial();
type FileConfig = z.output<typeof FileSchema>;

/** ${VAR} and ${VAR:-default} in every string value. */
function expandEnv(v: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof v === 'string') return v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, def?: string) => env[name] || (def ?? ''));
  if (Array.isArray(v)) return v.map((x) => expandEnv(x, env));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandEnv(x, env)]));
  return v;
}

/** The line of the node at `path` (or of the key `key` inside it), for error messages. */
function lineOf(doc: Document, lc: LineCounter, path: PropertyKey[], key?: string): number | undefined {
  let node: unknown = doc.getIn(path as (string | number)[], true);
  if (key !== undefined && isMap(node)) node = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key)?.key;
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  return range ? lc.linePos(range[0]).line : undefined;
}

/** Parses and validates the YAML text of a config file. `source` names the file in errors. */
export function parseConfigFile(text: string, source: string, env: NodeJS.ProcessEnv = process.env): FileConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line;
    throw new ConfigError(`${source}:${line}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const raw = expandEnv(doc.toJS() ?? {}, env);
  const r = FileSchema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const unknown = i.code === 'unrecognized_keys' ? i.keys[0] : undefined;
    const path = unknown !== undefined ? [...i.path, unknown] : i.path;
    const line = lineOf(doc, lc, i.path, unknown) ?? lineOf(doc, lc, i.path.slice(0, -1));
    const msg = unknown !== undefined ? 'unknown key' : i.message;
    return `${source}${line ? `:${line}` : ''}: ${path.join('.') || '(top level)'}: ${msg}`;
  });
  throw new ConfigError(lines.join('\n'));
}

function applyFile(c: AgentConfig, f: FileConfig): void {
  const col = f.collector ?? {};
  if (col.interval !== undefined) c.intervalMs = col.interval;
  if (col.server_url !== undefined) c.serverUrl = col.server_url || null;
  if (col.api_key !== undefined) c.apiKey = col.api_key || null;
  if (col.host_id !== undefined) c.hostId = col.host_id || null;
  if (col.host_name !== undefined) c.hostName = col.host_name || null;
  if (col.timeout !== undefined) c.collectorTimeoutMs = col.timeout;
  if (col.send_timeout !== undefined) c.sendTimeoutMs = col.send_timeout;
  if (col.transport !== undefined) c.transport = col.transport;
  if (col.proc_root !== undefined) c.procRoot = col.proc_root;
  if (col.sys_root !== undefined) c.sysRoot = col.sys_root;
  if (col.root_fs !== undefined) c.rootFs = col.root_fs.replace(/\/+$/, '');
  const m = f.metrics ?? {};
  Object.assign(c.metrics.cpu, { enabled: m.cpu?.enabled ?? c.metrics.cpu.enabled, perCpu: m.cpu?.per_cpu ?? c.metrics.cpu.perCpu });
  c.metrics.memory.enabled = m.memory?.enabled ?? c.metrics.memory.enabled;
  const d = m.disk ?? {};
  c.metrics.disk = {
    enabled: d.enabled ?? c.metrics.disk.enabled,
    excludeDevices: d.exclude_devices ?? c.metrics.disk.excludeDevices,
    excludeFsTypes: d.exclude_fs_types ?? c.metrics.disk.excludeFsTypes,
    usageIntervalMs: d.usage_interval ?? c.metrics.disk.usageIntervalMs,
  };
  const n = m.network ?? {};
  c.metrics.network = {
    enabled: n.enabled ?? c.metrics.network.enabled,
    interfaces: n.interfaces !== undefined ? n.interfaces : c.metrics.network.interfaces,
    excludeInterfaces: n.exclude_interfaces ?? c.metrics.network.excludeInterfaces,
  };
  if (f.logging?.level) c.logging.level = f.logging.level;
  if (f.logging?.file !== undefined) c.logging.file = f.logging.file || null;
  if (f.spool?.dir !== undefined) c.spool.dir = f.spool.dir || null;
  if (f.spool?.enabled === false) c.spool.dir = null;
  if (f.spool?.max_size !== undefined) c.spool.maxBytes = f.spool.max_size;
  const cu = f.custom ?? {};
  if (cu.prometheus) c.custom.prometheus = cu.prometheus;
  if (cu.exec) c.custom.exec = cu.exec;
  if (cu.timeout !== undefined) c.custom.timeoutMs = cu.timeout;
  if (cu.max_series !== undefined) c.custom.maxSeries = cu.max_series;
  if (f.health?.port !== undefined) c.health.port = f.health.port || null;
  if (f.health?.state_file !== undefined) c.health.stateFile = f.health.state_file || null;
}

/** Overrides from env vars or flags; same names, flags win. */
export interface Overrides {
  server?: string;
  key?: string;
  interval?: string;
  transport?: string;
  hostId?: string;
  logLevel?: string;
  logFile?: string;
  spoolDir?: string;
  noSpool?: boolean;
  procRoot?: string;
  sysRoot?: string;
  rootFs?: string;
  healthPort?: string;
  stateFile?: string;
}

function applyOverrides(c: AgentConfig, o: Overrides, origin: string): void {
  if (o.server) c.serverUrl = o.server;
  if (o.key) c.apiKey = o.key;
  if (o.interval) {
    const ms = parseDuration(/^\d+(\.\d+)?$/.test(o.interval) ? Number(o.interval) : o.interval);
    if (ms === undefined || ms < 1000) throw new ConfigError(`${origin} interval: expected a duration of at least 1s like "5s", got ${JSON.stringify(o.interval)}`);
    c.intervalMs = ms;
  }
  if (o.transport) {
    if (o.transport !== 'ws' && o.transport !== 'http') throw new ConfigError(`${origin} transport: expected "ws" or "http", got ${JSON.stringify(o.transport)}`);
    c.transport = o.transport;
  }
  if (o.hostId) c.hostId = o.hostId;
  if (o.logLevel) {
    const l = parseLevel(o.logLevel);
    if (!l) throw new ConfigError(`${origin} log level: expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got ${JSON.stringify(o.logLevel)}`);
    c.logging.level = l;
  }
  if (o.logFile) c.logging.file = o.logFile;
  if (o.spoolDir) c.spool.dir = o.spoolDir;
  if (o.noSpool) c.spool.dir = null;
  if (o.procRoot) c.procRoot = o.procRoot;
  if (o.sysRoot) c.sysRoot = o.sysRoot;
  if (o.rootFs !== undefined) c.rootFs = o.rootFs.replace(/\/+$/, '');
  if (o.healthPort !== undefined) {
    const p = Number(o.healthPort);
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new ConfigError(`${origin} health port: expected a port number, got ${JSON.stringify(o.healthPort)}`);
    c.health.port = p || null;
  }
  if (o.stateFile) c.health.stateFile = o.stateFile;
}

export function envOverrides(env: NodeJS.ProcessEnv): Overrides {
  const o: Overrides = {};
  const set = <K extends keyof Overrides>(k: K, v: string | undefined) => {
    if (v) (o as Record<string, unknown>)[k] = v;
  };
  set('server', env.PULSE_SERVER_URL);
  set('key', env.PULSE_API_KEY);
  set('interval', env.PULSE_INTERVAL);
  set('transport', env.PULSE_TRANSPORT);
  set('hostId', env.PULSE_HOST_ID);
  set('logLevel', env.PULSE_LOG_LEVEL);
  set('logFile', env.PULSE_LOG_FILE);
  set('spoolDir', env.PULSE_SPOOL_DIR);
  set('healthPort', env.PULSE_HEALTH_PORT);
  set('stateFile', env.PULSE_STATE_FILE);
  return o;
}

export interface LoadOptions {
  /** Config file path; PULSE_CONFIG otherwise; no file when neither is set. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  flags?: Overrides;
}

export function loadConfig(opts: LoadOptions = {}): AgentConfig {
  const env = opts.env ?? process.env;
  const c = defaultConfig(env);
  const file = opts.file ?? env.PULSE_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
    }
    applyFile(c, parseConfigFile(text, file, env));
  }
  applyOverrides(c, envOverrides(env), 'PULSE_*');
  applyOverrides(c, opts.flags ?? {}, '--');
  // Unless set, the state file follows the spool directory wherever that ended up.
  c.health.stateFile ??= defaultStateFile(c.spool.dir);
  if (c.serverUrl && !/^https?:\/\/[^/]/.test(c.serverUrl)) throw new ConfigError(`server url must start with http:// or https://, got ${JSON.stringify(c.serverUrl)}`);
  return c;
}
