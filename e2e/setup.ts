// The setup the Chromium tests share: the site stack, one page that records page errors and
// Content-Security-Policy refusals (each test file asserts none), and an account signed up
// through the e-mailed link, with an ingest key.
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Stack } from '../scripts/lib/stack.ts';
import { emailedLink, launch, startSiteStack } from './browser.ts';

export const SHOTS = path.join(import.meta.dirname, 'screenshots');

export interface Site {
  stack: Stack;
  dataDir: string;
  ctx: BrowserContext;
  page: Page;
  /** Uncaught page errors and CSP refusals so far, in order. */
  pageErrors: string[];
  /** Closes the browser, stops the stack and removes its data. */
  close(): Promise<void>;
}

export async function openSite(opts: { anomalyWarmupMinutes?: number } = {}): Promise<Site> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const { stack, dataDir } = await startSiteStack((m) => console.error(`[e2e] ${m}`), opts);
  const ctx = await launch().catch(async (err: unknown) => {
    await stack.stop();
    throw err;
  });
  const page = await ctx.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // A CSP refusal (e.g. an inline script whose hash is not allowed) is only a console error.
  page.on('console', (m) => m.type() === 'error' && /Refused|Content Security Policy/i.test(m.text()) && pageErrors.push(m.text()));
  return {
    stack,
    dataDir,
    ctx,
    page,
    pageErrors,
    async close() {
      await ctx.close();
      await stack.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Account {
  email: string;
  /** The session's CSRF token (the cookie is in the page's context). */
  csrf: string;
  ingestKey: string;
}

/**
 * Signs up through the API (the form is dashboard.test.ts's) and the e-mailed link, so the session
 * cookie lands in the page's context, then makes an ingest key named `keyName`.
 */
export async function signUpWithKey(site: Site, who: string, keyName: string): Promise<Account> {
  const { stack, page } = site;
  const email = `e2e-${who}-${Date.now()}@pulse.test`;
  const password = 'correct horse battery';
  const signup = await page.request.post(`${stack.url}/api/v1/auth/signup`, { data: { email, password }, headers: { origin: stack.url } });
  expect(signup.status()).toBe(202);
  const token = new URL(await emailedLink(site.dataDir, email, '/activate')).searchParams.get('token');
  const confirm = await page.request.post(`${stack.url}/api/v1/auth/signup/confirm`, { data: { token, password }, headers: { origin: stack.url } });
  expect(confirm.status()).toBe(201);
  const csrf = ((await confirm.json()) as { csrfToken: string }).csrfToken;
  const key = await page.request.post(`${stack.url}/api/v1/keys`, { data: { name: keyName, scope: 'ingest' }, headers: { 'x-csrf-token': csrf, origin: stack.url } });
  expect(key.ok()).toBe(true);
  return { email, csrf, ingestKey: ((await key.json()) as { key: string }).key };
}
