// The agent's command line:
//   npx bun agent/main.ts run --server http://127.0.0.1:8787 --key <ingest key>
//   npx tsx agent/main.ts --once        (print one sample as JSON and exit)
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCollectors } from './collectors/index.ts';
import { customCollectors } from './collectors/custom.ts';
import { checkHealth, formatReport } from './health.ts';
import { install, uninstall } from './install.ts';
import { ConfigError, loadConfig, type AgentConfig } from './config.ts';
import { hostInfo } from './host.ts';
import { createLogger } from './log.ts';
import { Runner } from './runner.ts';
import { AGENT_VERSION } from './version.ts';
import { startAgent } from './agent.ts';
import { scheduleTrim } from './trim.ts';

export { startAgent } from './agent.ts';
export type { AgentHandle, StartOptions } from './agent.ts';

const HELP = `pulse-agent ${AGENT_VERSION}: collects host metrics every interval and sends them to the server.

Usage:
  pulse-agent run --server <url> --key <ingest key> [options]
  pulse-agent --once [options]        collect one sample and print it as JSON
  pulse-agent health [--config <file>] [--json]
                                      report the running agent's health; exit 1 when unhealthy
  pulse-agent install --server <url> --key <key> [--prefix <dir>] [--no-start]
                                      install this binary, config and a hardened systemd unit
                                      (macOS: a launchd daemon)
  pulse-agent uninstall [--prefix <dir>] [--purge]
  pulse-agent --help | --version

Options (each overrides the config file; env vars in brackets):
  --config <file>       collector-config.yaml                [PULSE_CONFIG]
  --server <url>        server base URL                      [PULSE_SERVER_URL]
  --key <key>           ingest key                           [PULSE_API_KEY]
  --interval <dur>      collection interval, default 5s      [PULSE_INTERVAL]
  --transport <ws|http> ws (default): one WebSocket to the server, POST when it
                        cannot be opened; http: POST only    [PULSE_TRANSPORT]
  --host-id <id>        override the host id (default: hash of /etc/machine-id) [PULSE_HOST_ID]
  --log-level <level>   DEBUG, INFO, WARNING, ERROR, CRITICAL [PULSE_LOG_LEVEL]
  --log-file <file>     also append JSON logs to this file   [PULSE_LOG_FILE]
  --spool-dir <dir>     where unsent batches wait            [PULSE_SPOOL_DIR]
  --no-spool            keep unsent batches in memory only
  --proc-root <dir>     procfs mount (e.g. /host/proc in a container)
  --sys-root <dir>      sysfs mount
  --root-fs <dir>       prefix for host mount points when statfs'ing from a container
  --health-port <port>  serve GET /health on 127.0.0.1:<port> (off by default) [PULSE_HEALTH_PORT]
  --state-file <file>   health state, default state.json next to the spool dir [PULSE_STATE_FILE]
  --prefix <dir>        install/uninstall under this root; print system commands instead of running them
  --binary <file>       install/uninstall: the binary to install (default: this one, when compiled)
`;

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        once: { type: 'boolean' },
        config: { type: 'string', short: 'c' },
        server: { type: 'string' },
        key: { type: 'string' },
        interval: { type: 'string' },
        transport: { type: 'string' },
        'host-id': { type: 'string' },
        'log-level': { type: 'string' },
        'log-file': { type: 'string' },
        'spool-dir': { type: 'string' },
        'no-spool': { type: 'boolean' },
        'proc-root': { type: 'string' },
        'sys-root': { type: 'string' },
        'root-fs': { type: 'string' },
        'health-port': { type: 'string' },
        'state-file': { type: 'string' },
        json: { type: 'boolean' },
        prefix: { type: 'string' },
        binary: { type: 'string' },
        'no-start': { type: 'boolean' },
        purge: { type: 'boolean' },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const v = args.values;
  if (v.help) return process.stdout.write(HELP), 0;
  if (v.version) return process.stdout.write(`${AGENT_VERSION}\n`), 0;
  const command = args.positionals[0] ?? (v.once ? 'once' : 'run');
  if (!['run', 'once', 'health', 'install', 'uninstall'].includes(command) || args.positionals.length > 1) {
    process.stderr.write(`unknown command: ${args.positionals.join(' ')}\n\n${HELP}`);
    return 2;
  }

  if (command === 'uninstall') return uninstall({ prefix: (v.prefix ?? '').replace(/\/+$/, ''), purge: !!v.purge });
  if (command === 'install') {
    return install({
      prefix: (v.prefix ?? '').replace(/\/+$/, ''),
      binary: v.binary ?? compiledBinary(),
      serverUrl: v.server ?? null,
      apiKey: v.key ?? null,
      start: !v['no-start'],
    });
  }

  let cfg: AgentConfig;
  try {
    cfg = loadConfig({
      ...(v.config ? { file: v.config } : {}),
      flags: {
        server: v.server, key: v.key, interval: v.interval, transport: v.transport, hostId: v['host-id'], logLevel: v['log-level'],
        logFile: v['log-file'], spoolDir: v['spool-dir'], noSpool: v['no-spool'], procRoot: v['proc-root'],
        sysRoot: v['sys-root'], rootFs: v['root-fs'], healthPort: v['health-port'], stateFile: v['state-file'],
      },
    });
  } catch (e) {
    if (e instanceof ConfigError) return process.stderr.write(`config error: ${e.message}\n`), 2;
    throw e;
  }

  if (v.once || command === 'once') return once(cfg);
  if (command === 'health') {
    const r = await checkHealth({ port: cfg.health.port, stateFile: cfg.health.stateFile });
    process.stdout.write(v.json ? JSON.stringify(r) + '\n' : formatReport(r));
    return r.healthy ? 0 : 1;
  }

  const log = createLogger(cfg.logging);
  if (!cfg.serverUrl || !cfg.apiKey) {
    log.critical('missing server URL or ingest key: use --server and --key, PULSE_SERVER_URL and PULSE_API_KEY, or collector.server_url and collector.api_key in the config file');
    return 2;
  }
  const agent = startAgent({ ...cfg, serverUrl: cfg.serverUrl, apiKey: cfg.apiKey, log, ...testKnobs(process.env) });
  try {
    await agent.ready;
  } catch {
    return 1; // already logged by startAgent
  }
  const stopTrim = scheduleTrim(log);
  await new Promise<void>((res) => {
    const onSignal = (sig: string) => {
      log.info('stopping', { signal: sig });
      res();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  stopTrim();
  await agent.stop();
  return 0;
}

/**
 * Test-only knobs, deliberately not in --help or the config file: the reliability tests
 * (agent/test/reliability.test.ts) compress minutes of outage into seconds with real processes.
 */
function testKnobs(env: NodeJS.ProcessEnv): { intervalMs?: number; backoffMs?: number; sealAfter?: number } {
  const n = (v: string | undefined) => (v && Number(v) > 0 ? Number(v) : undefined);
  const k = { intervalMs: n(env.PULSE_TEST_INTERVAL_MS), backoffMs: n(env.PULSE_TEST_BACKOFF_MS), sealAfter: n(env.PULSE_TEST_SEAL_AFTER) };
  return Object.fromEntries(Object.entries(k).filter(([, v]) => v !== undefined));
}

/** One sample with rates: prime the counters, wait a second, collect again. */
async function once(cfg: AgentConfig): Promise<number> {
  const metrics = { ...cfg.metrics, disk: { ...cfg.metrics.disk, usageIntervalMs: 0 } };
  const runner = new Runner([...buildCollectors(metrics), ...customCollectors(cfg.custom)], { timeoutMs: cfg.collectorTimeoutMs, procRoot: cfg.procRoot, sysRoot: cfg.sysRoot, rootFs: cfg.rootFs });
  await runner.collect();
  await new Promise((r) => setTimeout(r, 1000));
  const { sample } = await runner.collect();
  process.stdout.write(JSON.stringify({ host: hostInfo({ id: cfg.hostId, name: cfg.hostName }), sample }, null, 2) + '\n');
  return 0;
}

/** The running executable when this is the `bun build --compile` binary (its modules live under /$bunfs). */
function compiledBinary(): string | null {
  return import.meta.url.includes('$bunfs') || import.meta.url.includes('%24bunfs') ? process.execPath : null;
}

// Run only as a program (Bun sets import.meta.main; Node compares the script path), not when imported.
const meta = import.meta as ImportMeta & { main?: boolean };
const isMain = meta.main === true || (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url));
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'CRITICAL', msg: 'agent crashed', error: String(e?.stack ?? e) })}\n`);
      process.exit(1);
    },
  );
}
