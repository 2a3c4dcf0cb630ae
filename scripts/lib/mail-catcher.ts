// A local stand-in for Resend's HTTP API (POST /emails), started by the local stack: the worker's
// account emails (verification, password reset, invitations) and email alerts land here instead
// of in an inbox. Each message is written to `dir` as <stamp>-<subject>.txt (headers and text),
// .html when it has HTML, and .json (the request as sent), and its links are logged, so a
// developer can click them. GET /emails lists what arrived, newest last.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const Address = z.string().trim().min(1).max(320);
/** The part of Resend's send-email body the worker uses, and the rest it accepts, unchecked. */
export const SendEmailBody = z
  .object({
    from: Address,
    to: z.union([Address, z.array(Address).min(1).max(50)]),
    subject: z.string().min(1).max(998),
    text: z.string().optional(),
    html: z.string().optional(),
    cc: z.union([Address, z.array(Address)]).optional(),
    bcc: z.union([Address, z.array(Address)]).optional(),
    reply_to: z.union([Address, z.array(Address)]).optional(),
  })
  .loose()
  .refine((b) => b.text !== undefined || b.html !== undefined, { message: 'one of text or html is required', path: ['text'] });
export type SendEmailBody = z.infer<typeof SendEmailBody>;

export interface CaughtMail {
  id: string;
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  links: string[];
  /** The .txt file, relative to the mail folder. */
  file: string;
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every http(s) link in a text or HTML body, once each, without trailing punctuation. */
export function extractLinks(body: string): string[] {
  const found = body.match(/https?:\/\/[^\s"'<>`]+/g) ?? [];
  return [...new Set(found.map((l) => l.replace(/&amp;/g, '&').replace(/[.,;:!?)\]]+$/, '')))];
}

/** `20261201-154501-123-verify-your-email`: sorts by arrival, says what it is. */
export function fileBase(at: Date, subject: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\.(\d{3})Z$/, '-$1');
  const slug = subject.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'mail';
  return `${stamp}-${slug}`;
}

/** The .txt file: the headers a reader needs, then the text (or a pointer to the .html). */
export function renderText(mail: SendEmailBody, id: string, at: Date, htmlFile: string | null): string {
  const headers = [
    `From: ${mail.from}`,
    `To: ${list(mail.to).join(', ')}`,
    ...(mail.cc ? [`Cc: ${list(mail.cc).join(', ')}`] : []),
    ...(mail.bcc ? [`Bcc: ${list(mail.bcc).join(', ')}`] : []),
    `Subject: ${mail.subject}`,
    `Date: ${at.toISOString()}`,
    `Id: ${id}`,
  ];
  const body = mail.text ?? `(HTML only: ${htmlFile})`;
  return `${headers.join('\n')}\n\n${body}\n`;
}

/** Resend's error shape. */
const error = (res: http.ServerResponse, statusCode: number, name: string, message: string) => {
  res.writeHead(statusCode, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ statusCode, name, message }));
};

export async function startMailCatcher(opts: { dir: string; log: (m: string) => void; port?: number }): Promise<{ url: string; caught: CaughtMail[]; close(): Promise<void> }> {
  // The links are credentials (one-time tokens): readable by this user only, like dev-credentials.json.
  fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const caught: CaughtMail[] = [];
  const rel = (f: string) => path.relative(process.cwd(), path.join(opts.dir, f)) || f;

  const accept = (mail: SendEmailBody): CaughtMail => {
    const at = new Date();
    const id = crypto.randomUUID();
    const base = fileBase(at, mail.subject);
    const htmlFile = mail.html !== undefined ? `${base}.html` : null;
    const write = (file: string, data: string) => fs.writeFileSync(path.join(opts.dir, file), data, { mode: 0o600 });
    write(`${base}.json`, `${JSON.stringify({ id, receivedAt: at.toISOString(), ...mail }, null, 2)}\n`);
    if (htmlFile) write(htmlFile, mail.html!);
    write(`${base}.txt`, renderText(mail, id, at, htmlFile));
    const links = extractLinks(`${mail.text ?? ''}\n${mail.html ?? ''}`);
    const entry = { id, receivedAt: at.toISOString(), from: mail.from, to: list(mail.to), subject: mail.subject, links, file: `${base}.txt` };
    caught.push(entry);
    opts.log(`Email to ${entry.to.join(', ')}: "${mail.subject}" (${rel(entry.file)})`);
    for (const link of links) opts.log(`  ${link}`);
    return entry;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1_000_000) chunks.push(c);
    });
    req.on('end', () => {
      const { pathname } = new URL(req.url ?? '/', 'http://mail');
      if (req.method === 'GET' && pathname === '/emails') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ data: caught }));
      }
      if (req.method !== 'POST' || pathname !== '/emails') return error(res, 404, 'not_found', `${req.method} ${pathname}: only POST /emails and GET /emails exist here`);
      if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) return error(res, 401, 'missing_api_key', 'Missing API key in the authorization header');
      if (size > 1_000_000) return error(res, 413, 'validation_error', 'the body is over 1 MB');
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return error(res, 422, 'validation_error', 'the body is not JSON');
      }
      const parsed = SendEmailBody.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        return error(res, 422, 'validation_error', `${issue.path.join('.') || 'body'}: ${issue.message}`);
      }
      try {
        const entry = accept(parsed.data);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: entry.id }));
      } catch (err) {
        opts.log(`Email "${parsed.data.subject}" could not be written to ${opts.dir}: ${(err as Error).message}`);
        error(res, 500, 'application_error', 'could not store the message');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    caught,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
