// Shared by the e2e test and bench:dashboard: the local stack with the built site, headless
// Debian Chromium through playwright-core, and a way to post samples.
import { extractLinks } from '../scripts/lib/mail-catcher.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import type { Sample } from '../protocol/ingest.ts';
import { ASSETS_DIR } from '../scripts/lib/assets.ts';
import { startStack, type Stack } from '../scripts/lib/stack.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function startSiteStack(log: (m: string) => void, opts: { anomalyWarmupMinutes?: number } = {}): Promise<{ stack: Stack; dataDir: string }> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium), or set CHROMIUM_PATH`);
  // Not created here: the embedded Postgres (run as its own user under root) makes its directory.
  const dataDir = path.join(os.tmpdir(), `pulse-site-${process.pid}-${Date.now()}`);
  // `npm test` builds the site first; a lone run of this project builds it here.
  const built = fs.existsSync(path.join(ASSETS_DIR, 'app/host/index.html'));
  const stack = await startStack({ dataDir, persistent: false, log, buildSite: !built, ...opts });
  return { stack, dataDir };
}

export async function launch(viewport = { width: 1360, height: 900 }): Promise<BrowserContext> {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-chromium-'));
  const ctx = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport,
  });
  ctx.on('close', () => setTimeout(() => fs.rmSync(profileDir, { recursive: true, force: true, maxRetries: 5 }), 500));
  return ctx;
}

export async function postSamples(url: string, key: string, host: string, samples: Sample[], batchId = `${host}-${samples[0]!.ts}-${samples.length}`): Promise<void> {
  const res = await fetch(`${url}/api/v1/metrics/collect`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ host: { id: host, name: host, os: 'linux', agentVersion: 'e2e' }, batchId, samples }),
  });
  if (!res.ok) throw new Error(`collect answered ${res.status}: ${await res.text()}`);
}

/**
 * The link (to `page`, e.g. "/activate") of the newest email to `to`. The local stack sends email
 * to its Resend stand-in (scripts/lib/mail-catcher.ts), which writes each message, as sent, to
 * `<dataDir>/mail/*.json`.
 */
export async function emailedLink(dataDir: string, to: string, page: string, timeoutMs = 15_000): Promise<string> {
  const dir = path.join(dataDir, 'mail');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
    const links = files
      .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { to: string | string[]; text?: string; html?: string })
      .filter((m) => [m.to].flat().includes(to))
      .flatMap((m) => extractLinks(`${m.text ?? ''}\n${m.html ?? ''}`))
      .filter((u) => new URL(u).pathname.replace(/\/$/, '') === page);
    if (links.length) return links.at(-1)!;
    if (Date.now() > deadline) throw new Error(`no email to ${to} with a ${page} link in ${dir} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A sample with the catalog's metrics (bench/full-sample.ts), CPU set to `cpu`. */
export async function sampleAt(ts: number, cpu: number): Promise<Sample> {
  const { fullSample } = await import('../bench/full-sample.ts');
  const s = fullSample(ts, 1);
  s.metrics['cpu.usage.total'] = cpu;
  return s;
}
