// `npm run dev`: the whole product on this machine with embedded defaults, plus an agent for
// this machine reporting every 5 s; `npm run dev -- --demo` also runs the demo service
// (examples/demo-service) under load. Ctrl-C stops everything it started.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { watchSite } from './build-site.ts';
import { startDemo, type DemoProcess } from './lib/demo.ts';
import { bin, ROOT, startStack, type Credentials } from './lib/stack.ts';

const dataDir = path.join(ROOT, '.data');
const credsFile = path.join(dataDir, 'dev-credentials.json');
const log = (msg: string) => console.log(`[dev] ${msg}`);

async function main() {
  fs.mkdirSync(dataDir, { recursive: true });
  let previous: Partial<Credentials> | undefined;
  try {
    previous = JSON.parse(fs.readFileSync(credsFile, 'utf8')) as Credentials;
  } catch {
    previous = undefined;
  }
  const port = process.env.PORT ? Number(process.env.PORT) : 8787;
  const stack = await startStack({ dataDir, persistent: true, port, log, previous, buildSite: true });
  const stopWatch = watchSite(log);
  log('Watching site/src and protocol/: the site rebuilds on change (reload the page)');
  fs.writeFileSync(credsFile, `${JSON.stringify(stack.credentials, null, 2)}\n`, { mode: 0o600 });

  let agent: ChildProcess | null = null;
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
    agent.on('exit', (code) => code !== null && code !== 0 && log(`agent exited with code ${code}; see .data/agent.log`));
    log('Agent for this machine reporting every 5 s (log: .data/agent.log)');
  }

  let demo: DemoProcess | null = null;
  if (process.argv.includes('--demo')) {
    const logFile = path.join(dataDir, 'demo.log');
    demo = await startDemo({ endpoint: stack.url, ingestKey: stack.credentials.ingestKey, rps: 10, logFile }).catch((err: unknown) => {
      log(`The demo service did not start (the product runs without it): ${err instanceof Error ? err.message : String(err)}`);
      return null;
    });
    if (demo) log(`Demo service "${demo.service}" on ${demo.url}, 10 requests/s, traces to ${stack.url}/v1/traces (log: .data/demo.log)`);
  }

  console.log(`
  Pulse Monitor is running at ${stack.url}

    Dashboard     ${stack.url}/login  (sign up at ${stack.url}/signup, or log in as below)
    API docs      ${stack.url}/api/v1/openapi.json
    Health        ${stack.url}/api/v1/health
    Credentials   .data/dev-credentials.json (login ${stack.credentials.email})${demo ? `\n    Demo service  ${stack.url}/app/service/?name=${encodeURIComponent(demo.service)}  (break it: docs/apm.md)` : ''}

  Try:  curl -H "Authorization: Bearer ${stack.credentials.readKey}" ${stack.url}/api/v1/metrics/current

  Press Ctrl-C to stop.
`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    log('Stopping…');
    stopWatch();
    agent?.kill('SIGTERM');
    await Promise.all([demo?.stop(), stack.stop()]); // the demo exports its last spans meanwhile
    log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error(`[dev] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
