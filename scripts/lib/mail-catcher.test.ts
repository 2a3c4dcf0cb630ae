// The local Resend stand-in: what the worker's email code sends lands in files and the log.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractLinks, fileBase, startMailCatcher } from './mail-catcher.ts';

describe('mail catcher', () => {
  let dir: string;
  let logged: string[];
  let catcher: Awaited<ReturnType<typeof startMailCatcher>>;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-mail-'));
    logged = [];
    catcher = await startMailCatcher({ dir: path.join(dir, 'mail'), log: (m) => logged.push(m) });
  });
  afterEach(async () => {
    await catcher.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // The request worker/notify/email.ts makes.
  const send = (body: unknown, auth = 'Bearer re_local') =>
    fetch(`${catcher.url}/emails`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) });

  it('writes a Resend-shaped message to files and logs its recipient, subject and links', async () => {
    const link = 'http://127.0.0.1:8787/verify-email?token=abc_DEF-123';
    const res = await send({ from: 'Pulse Monitor <accounts@pulse.invalid>', to: ['ana@example.test'], subject: 'Verify your email address', text: `Open ${link}.\nIt expires in 24 hours.` });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const files = fs.readdirSync(path.join(dir, 'mail')).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^\d{8}-\d{6}-\d{3}-verify-your-email-address\.json$/);
    expect(files[1]).toBe(files[0]!.replace(/\.json$/, '.txt'));
    expect(fs.statSync(path.join(dir, 'mail', files[1]!)).mode & 0o777).toBe(0o600); // the link is a credential
    const txt = fs.readFileSync(path.join(dir, 'mail', files[1]!), 'utf8');
    expect(txt).toContain('To: ana@example.test\nSubject: Verify your email address\n');
    expect(txt).toContain(`\n\nOpen ${link}.\nIt expires in 24 hours.\n`);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'mail', files[0]!), 'utf8')) as Record<string, unknown>;
    expect(json).toMatchObject({ id, to: ['ana@example.test'], subject: 'Verify your email address' });

    expect(logged[0]).toMatch(/^Email to ana@example\.test: "Verify your email address" \(.*verify-your-email-address\.txt\)$/);
    expect(logged[1]).toBe(`  ${link}`);
    const listed = (await (await fetch(`${catcher.url}/emails`)).json()) as { data: { id: string; links: string[] }[] };
    expect(listed.data.map((m) => [m.id, m.links])).toEqual([[id, [link]]]);
  });

  it('keeps an HTML body as .html and refuses what Resend refuses', async () => {
    const ok = await send({ from: 'a@x.test', to: 'b@x.test', subject: 'Invitation', html: '<a href="https://pulse.test/invite?token=t1&amp;x=1">Join</a>' });
    expect(ok.status).toBe(200);
    expect(fs.readdirSync(path.join(dir, 'mail')).filter((f) => f.endsWith('.html'))).toHaveLength(1);
    expect(logged).toContain('  https://pulse.test/invite?token=t1&x=1');

    const unauthorized = await send({ from: 'a@x.test', to: 'b@x.test', subject: 's', text: 't' }, '');
    expect(unauthorized.status).toBe(401);
    const noBody = await send({ from: 'a@x.test', to: 'b@x.test', subject: 's' });
    expect(noBody.status).toBe(422);
    expect(((await noBody.json()) as { message: string }).message).toBe('text: one of text or html is required');
    const noTo = await send({ from: 'a@x.test', subject: 's', text: 't' });
    expect(noTo.status).toBe(422);
    expect(((await noTo.json()) as { message: string }).message).toMatch(/^to: /);
    expect(catcher.caught).toHaveLength(1);
  });
});

describe('mail catcher helpers', () => {
  it('finds each link once, without the sentence around it', () => {
    expect(extractLinks('Go to https://a.test/x?y=1. Or (http://b.test/z), or https://a.test/x?y=1!')).toEqual(['https://a.test/x?y=1', 'http://b.test/z']);
    expect(extractLinks('no links here')).toEqual([]);
  });

  it('names files by arrival time and subject', () => {
    expect(fileBase(new Date('2026-12-01T15:45:01.123Z'), '[Pulse CRITICAL] CPU on web-1')).toBe('20261201-154501-123-pulse-critical-cpu-on-web-1');
    expect(fileBase(new Date('2026-12-01T15:45:01.000Z'), '!!!')).toBe('20261201-154501-000-mail');
  });
});
