// `npm run dev`: the whole product on this machine with embedded defaults, plus an agent for
// this machine reporting every 5 s; `npm run dev -- --demo` also runs the demo service
// (examples/demo-service) under load. Ctrl-C stops everything it started, saying what it stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { watchSite } from './build-site.ts';
import { startDemo, type DemoProcess } from './lib/demo.ts';
import { DEMO_FAULT, setUpDemoAlerts } from './lib/demo-alerts.ts';
import { bin, ROOT, startStack, type Credentials, type Stack } from './lib/stack.ts';

const dataDir = path.join(ROOT, '.data');
const credsFile = path.join(dataDir, 'dev-credentials.json');
const log = (msg: string) => console.log(`[dev] ${msg}`);

let stopping = false;
let stack: Stack | null = null;
let agent: ChildProcess | null = null;
let demo: DemoProcess | null = null;
let stopWatch = () => {};
// Ctrl-C while starting aborts the start (startStack stops what it had started, then throws).
const aborted = new AbortController();

async function shutdown(signal: NodeJS.Signals) {
  if (stopping) {
    log(`${signal} again: exiting now, without waiting for the rest to stop`);
    process.exit(1);
  }
  stopping = true;
  log(`${signal}: stopping…`);
  if (!stack) return aborted.abort(); // main() finishes the stop
  stopWatch();
  log('Stopped watching the site');
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    const exited = new Promise((resolve) => agent!.once('exit', resolve));
    agent.kill('SIGTERM');
    const kill = setTimeout(() => agent!.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
  }
  if (agent) log('Stopped the agent');
  // Beside the stack, not before it: the demo exports its last spans meanwhile.
  await Promise.all([demo?.stop().then(() => log('Stopped the demo service')), stack.stop()]);
  log('Stopped.');
  process.exit(0);
}

async function main() {
  const onSignal = (s: NodeJS.Signals) =>
    shutdown(s).catch((err) => {
      console.error(`[dev] stopping failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  fs.mkdirSync(dataDir, { recursive: true });
  let previous: Partial<Credentials> | undefined;
  try {
    previous = JSON.parse(fs.readFileSync(credsFile, 'utf8')) as Credentials;
  } catch {
    previous = undefined;
  }
  const port = process.env.PORT ? Number(process.env.PORT) : 8787;
  try {
    stack = await startStack({ dataDir, persistent: true, port, log, previous, buildSite: true, signal: aborted.signal });
  } catch (err) {
    if (!aborted.signal.aborted) throw err;
    log('Stopped before it had started.');
    process.exit(130);
  }
  stopWatch = watchSite(log);
  log('Watching site/src and protocol/: the site rebuilds on change (reload the page)');
  fs.writeFileSync(credsFile, `${JSON.stringify(stack.credentials, null, 2)}\n`, { mode: 0o600 });

  const agentMain = path.join(ROOT, 'agent', 'main.ts');
  if (process.env.DEV_NO_AGENT !== '1' && fs.existsSync(agentMain)) {
    const agentArgs = ['run', '--server', stack.url, '--key', stack.credentials.ingestKey, '--interval', '5s', '--spool-dir', path.join(dataDir, 'agent-spool')];
    agent = spawn(bin('bun'), [agentMain, ...agentArgs], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const agentLog = fs.createWriteStream(path.join(dataDir, 'agent.log'));
    agent.stdout!.pipe(agentLog);
    agent.stderr!.pipe(agentLog);
    agent.on('error', (err) => log(`the agent did not start (${err.message}); see .data/agent.log`));
    agent.on('exit', (code) => !stopping && code !== null && code !== 0 && log(`agent exited with code ${code}; see .data/agent.log`));
    log('Agent for this machine reporting every 5 s (log: .data/agent.log)');
  }

  if (process.argv.includes('--demo')) {
    const logFile = path.join(dataDir, 'demo.log');
    demo = await startDemo({ endpoint: stack.url, ingestKey: stack.credentials.ingestKey, rps: 10, logFile }).catch((err: unknown) => {
      log(`The demo service did not start (the product runs without it): ${err instanceof Error ? err.message : String(err)}`);
      return null;
    });
    if (demo) log(`Demo service "${demo.service}" on ${demo.url}, 10 requests/s, traces to ${stack.url}/v1/traces (log: .data/demo.log)`);
    if (demo) {
      const s = stack;
      const d = demo;
      await setUpDemoAlerts({ url: s.url, databaseUrl: s.databaseUrl, ingestKey: s.credentials.ingestKey, email: s.credentials.email, service: d.service })
        .then((made) => {
          if (made.length) log(`Demo alerting: ${made.join('; ')}`);
          log(`Break the demo (an SLO burns, an alert is emailed to .data/mail/): curl -X PUT ${d.url}/_demo/faults -d '${JSON.stringify(DEMO_FAULT)}'   (undo: curl -X DELETE ${d.url}/_demo/faults)`);
        })
        .catch((err: unknown) => log(`Demo alerting was not set up: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  console.log(`
  Pulse Monitor is running at ${stack.url}

    Dashboard     ${stack.url}/login  (sign up at ${stack.url}/signup, or log in as below)
    API docs      ${stack.url}/api/v1/openapi.json
    Health        ${stack.url}/api/v1/health
    Credentials   .data/dev-credentials.json (login ${stack.credentials.email})
    Email         caught locally: links printed here, messages in .data/mail/${demo ? `\n    Demo service  ${stack.url}/app/service/?name=${encodeURIComponent(demo.service)}  (break it: docs/slo.md)` : ''}

  Try:  curl -H "Authorization: Bearer ${stack.credentials.readKey}" ${stack.url}/api/v1/metrics/current

  Press Ctrl-C to stop.
`);
}

main().catch((err) => {
  console.error(`[dev] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
