// What every route shares (worker/platform.ts): the JSON body cap, security headers on API,
// error, docs and static answers, the /api/docs page with its assets, and an OpenAPI document in
// which every operation has a summary, tags and its error answers.
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { batch, BASE, get, post, seedTenant } from '../test/helpers.ts';
import { newEmail, PASSWORD } from '../test/session.ts';
import { inlineScriptHashes } from './security-policy.ts';
import { BODY_LIMITS } from './limits.ts';

type Err = { error: { code: string; message: string; field?: string } };
const signup = (body: BodyInit, headers: Record<string, string> = {}) =>
  SELF.fetch(`${BASE}/api/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('request body limits', () => {
  const oversized = JSON.stringify({ email: newEmail(), password: PASSWORD, name: 'x'.repeat(BODY_LIMITS.jsonBytes) });

  it(`refuses a JSON body over ${BODY_LIMITS.jsonBytes} bytes with a 413 naming the limit`, async () => {
    const res = await signup(oversized);
    const body = (await res.json()) as Err;
    expect(res.status).toBe(413);
    expect(body.error).toMatchObject({ code: 'body_too_large', field: '(body)' });
    expect(body.error.message).toContain(`${BODY_LIMITS.jsonBytes}-byte limit`);
  });

  it('counts a body sent without Content-Length as it arrives', async () => {
    const bytes = new TextEncoder().encode(oversized);
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < bytes.length; i += 8192) ctl.enqueue(bytes.slice(i, i + 8192));
        ctl.close();
      },
    });
    const res = await signup(stream as unknown as BodyInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as Err).error.message).toContain(`${BODY_LIMITS.jsonBytes}-byte limit`);
  });

  it('passes a body under the cap through whole, streamed or not', async () => {
    const email = newEmail();
    const bytes = new TextEncoder().encode(JSON.stringify({ email, password: PASSWORD }));
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(bytes.slice(0, 10));
        ctl.enqueue(bytes.slice(10));
        ctl.close();
      },
    });
    expect((await signup(stream as unknown as BodyInit)).status).toBe(202);
  });

  it('leaves ingest its own, larger limit', async () => {
    const t = await seedTenant('Body limits');
    const now = Date.now();
    const samples = Array.from({ length: 400 }, (_, i) => ({
      ts: now - (400 - i) * 1000,
      metrics: { 'cpu.cores.usage': Array.from({ length: 16 }, (_, core) => ({ labels: { core: String(core) }, value: 12.5 })) },
    }));
    const body = batch('big-host', samples);
    const size = JSON.stringify(body).length;
    expect(size).toBeGreaterThan(BODY_LIMITS.jsonBytes);
    expect(size).toBeLessThan(BODY_LIMITS.ingestBytes);
    const res = await post(t.ingestKey, body);
    expect(res.status, await res.clone().text()).toBe(200);
  });
});

function expectSecurityHeaders(res: Response, what: string) {
  const h = res.headers;
  expect(h.get('strict-transport-security'), what).toMatch(/max-age=\d{7,}/);
  expect(h.get('x-content-type-options'), what).toBe('nosniff');
  expect(h.get('x-frame-options'), what).toBe('DENY');
  expect(h.get('referrer-policy'), what).toBe('strict-origin-when-cross-origin');
  const csp = h.get('content-security-policy') ?? '';
  for (const d of ["default-src 'self'", "script-src 'self'", "connect-src 'self' ws://monitor.test", "img-src 'self' data:", "frame-ancestors 'none'", "object-src 'none'"])
    expect(csp, `${what}: ${d}`).toContain(d);
  expect(csp, what).not.toMatch(/https?:\/\//); // no third-party origin anywhere
}

describe('security headers', () => {
  it('are on API answers, errors, 404s, the install script and the docs page', async () => {
    const t = await seedTenant('Headers');
    const answers: [string, Response][] = [
      ['health', await SELF.fetch(`${BASE}/api/v1/health`)],
      ['read', await get(t.readKey, '/api/v1/hosts')],
      ['401', await SELF.fetch(`${BASE}/api/v1/hosts`)],
      ['400', await get(t.readKey, '/api/v1/metrics/history?host=')],
      ['api 404', await SELF.fetch(`${BASE}/api/v1/nothing-here`)],
      ['site 404', await SELF.fetch(`${BASE}/no-such-page`)],
      ['install', await SELF.fetch(`${BASE}/install.sh`)],
      ['docs', await SELF.fetch(`${BASE}/api/docs`)],
    ];
    for (const [what, res] of answers) {
      expectSecurityHeaders(res, what);
      await res.body?.cancel();
    }
    expect(answers.find(([w]) => w === 'site 404')![1].status).toBe(404);
  });

  it('keep the raw agent parts private: /downloads/ is not served as files', async () => {
    const res = await SELF.fetch(`${BASE}/downloads/pulse-agent-linux-x64.json`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as Err).error.code).toBe('not_found');
  });

  it('are on static files served from the ASSETS binding (immutable headers copied)', async () => {
    const res = await SELF.fetch(`${BASE}/vendor/swagger-ui/swagger-ui.css`);
    expect(res.status).toBe(200);
    expectSecurityHeaders(res, 'asset');
    expect(res.headers.get('content-type')).toContain('text/css');
    await res.body?.cancel();
  });

  it('allow a page exactly its own inline scripts, by hash', async () => {
    // The hash a browser computes for <script>alert('Hello, world.');</script> (CSP spec example).
    const page = `<script>alert('Hello, world.');</script><script src="/a.js"></script><script type="module">import "/b.js";</script>`;
    const hashes = await inlineScriptHashes(page);
    expect(hashes).toHaveLength(2);
    expect(hashes[0]).toBe("'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='");
  });
});

describe('GET /api/docs', () => {
  it('serves Swagger UI over /api/v1/openapi.json, every asset from this origin', async () => {
    const res = await SELF.fetch(`${BASE}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script: the CSP would block it
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((r) => !r.startsWith('data:'));
    expect(refs.length).toBe(3); // stylesheet, Swagger UI bundle, init script
    const want: Record<string, string> = { '.css': 'text/css', '.js': 'javascript' };
    for (const ref of refs) {
      expect(ref.startsWith('/'), ref).toBe(true); // same origin, no CDN
      const asset = await SELF.fetch(`${BASE}${ref}`);
      expect(asset.status, ref).toBe(200);
      expect(asset.headers.get('content-type'), ref).toContain(want[ref.slice(ref.lastIndexOf('.'))]!);
      expect((await asset.text()).length, ref).toBeGreaterThan(100);
    }
    const init = await (await SELF.fetch(`${BASE}/api/docs/init.js`)).text();
    expect(init).toContain("url: '/api/v1/openapi.json'");
  });
});

describe('the OpenAPI document', () => {
  type Op = { summary?: string; tags?: string[]; responses: Record<string, unknown>; requestBody?: unknown; parameters?: unknown[]; 'x-permission'?: string };

  it('gives every operation a summary, tags and its error answers', async () => {
    const doc = (await (await SELF.fetch(`${BASE}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, Op>> };
    const missing: string[] = [];
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        const name = `${method.toUpperCase()} ${path}`;
        const perm = op['x-permission'] ?? '';
        if (!op.summary) missing.push(`${name}: summary`);
        if (!op.tags?.length) missing.push(`${name}: tags`);
        const need: string[] = [];
        if (perm !== 'public') need.push('401');
        if (perm !== 'public' && perm !== 'session') need.push('403');
        if (op.requestBody) need.push('400', '413', '415');
        if (op.parameters?.length) need.push('400');
        if (method === 'get' && perm !== 'public' && perm !== 'session') need.push('429');
        for (const code of need) if (!op.responses[code]) missing.push(`${name}: ${code}`);
        expect(perm, `${name}: x-permission`).not.toBe('');
      }
    expect(missing).toEqual([]);
  });
});
