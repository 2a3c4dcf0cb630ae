// The agent's command line:
//   npx bun agent/main.ts run --server http://127.0.0.1:8787 --key <ingest key>
//   npx tsx agent/main.ts --once        (print one sample as JSON and exit)
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCollectors } from './collectors/index.ts';
import { ConfigError, loadConfig, type AgentConfig } from './config.ts';
import { hostInfo } from './host.ts';
import { createLogger } from './log.ts';
import { Runner } from './runner.ts';
import { AGENT_VERSION } from './version.ts';
import { startAgent } from './agent.ts';

export { startAgent } from './agent.ts';
export type { AgentHandle, StartOptions } from './agent.ts';

const HELP = `pulse-agent ${AGENT_VERSION}: collects host metrics every interval and sends them to the server.

Usage:
  pulse-agent run --server <url> --key <ingest key> [options]
  pulse-agent --once [options]        collect one sample and print it as JSON
  pulse-agent --help | --version

Options (each overrides the config file; env vars in brackets):
  --config <file>       collector-config.yaml                [PULSE_CONFIG]
  --server <url>        server base URL                      [PULSE_SERVER_URL]
  --key <key>           ingest key                           [PULSE_API_KEY]
  --interval <dur>      collection interval, default 5s      [PULSE_INTERVAL]
  --host-id <id>        override the host id (default: hash of /etc/machine-id) [PULSE_HOST_ID]
  --log-level <level>   DEBUG, INFO, WARNING, ERROR, CRITICAL [PULSE_LOG_LEVEL]
  --log-file <file>     also append JSON logs to this file   [PULSE_LOG_FILE]
  --spool-dir <dir>     where unsent batches wait            [PULSE_SPOOL_DIR]
  --no-spool            keep unsent batches in memory only
  --proc-root <dir>     procfs mount (e.g. /host/proc in a container)
  --sys-root <dir>      sysfs mount
  --root-fs <dir>       prefix for host mount points when statfs'ing from a container
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
        'host-id': { type: 'string' },
        'log-level': { type: 'string' },
        'log-file': { type: 'string' },
        'spool-dir': { type: 'string' },
        'no-spool': { type: 'boolean' },
        'proc-root': { type: 'string' },
        'sys-root': { type: 'string' },
        'root-fs': { type: 'string' },
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
  if (!['run', 'once'].includes(command) || args.positionals.length > 1) {
    process.stderr.write(`unknown command: ${args.positionals.join(' ')}\n\n${HELP}`);
    return 2;
  }

  let cfg: AgentConfig;
  try {
    cfg = loadConfig({
      ...(v.config ? { file: v.config } : {}),
      flags: {
        server: v.server, key: v.key, interval: v.interval, hostId: v['host-id'], logLevel: v['log-level'],
        logFile: v['log-file'], spoolDir: v['spool-dir'], noSpool: v['no-spool'], procRoot: v['proc-root'],
        sysRoot: v['sys-root'], rootFs: v['root-fs'],
      },
    });
  } catch (e) {
    if (e instanceof ConfigError) return process.stderr.write(`config error: ${e.message}\n`), 2;
    throw e;
  }

  if (v.once || command === 'once') return once(cfg);

  const log = createLogger(cfg.logging);
  if (!cfg.serverUrl || !cfg.apiKey) {
    log.critical('missing server URL or ingest key: use --server and --key, PULSE_SERVER_URL and PULSE_API_KEY, or collector.server_url and collector.api_key in the config file');
    return 2;
  }
  const agent = startAgent({ ...cfg, serverUrl: cfg.serverUrl, apiKey: cfg.apiKey, log });
  try {
    await agent.ready;
  } catch {
    return 1; // already logged by startAgent
  }
  await new Promise<void>((res) => {
    const onSignal = (sig: string) => {
      log.info('stopping', { signal: sig });
      res();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await agent.stop();
  return 0;
}

/** One sample with rates: prime the counters, wait a second, collect again. */
async function once(cfg: AgentConfig): Promise<number> {
  const metrics = { ...cfg.metrics, disk: { ...cfg.metrics.disk, usageIntervalMs: 0 } };
  const runner = new Runner(buildCollectors(metrics), { timeoutMs: cfg.collectorTimeoutMs, procRoot: cfg.procRoot, sysRoot: cfg.sysRoot, rootFs: cfg.rootFs });
  await runner.collect();
  await new Promise((r) => setTimeout(r, 1000));
  const { sample } = await runner.collect();
  process.stdout.write(JSON.stringify({ host: hostInfo({ id: cfg.hostId, name: cfg.hostName }), sample }, null, 2) + '\n');
  return 0;
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
