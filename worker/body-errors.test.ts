// Client mistakes in a request body, route by route from the OpenAPI document (issue #11): for
// every operation with a requestBody, a malformed, an empty and a non-JSON body (and one without
// Content-Type) answer 400 or 415 in the error envelope, naming the body or the header, for every
// kind of caller allowed to call it; never a 5xx, and never an "unhandled error" in the log.
// Authentication runs first, so a caller who may not call learns nothing about bodies.
import { createRoute, z } from '@hono/zod-openapi';
import { env, SELF } from 'cloudflare:test';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { roleCan, SCOPES, scopeCan, type Permission } from '../protocol/roles.ts';
import { BASE } from '../test/helpers.ts';
import { fill, listOps, type Op } from '../test/openapi-ops.ts';
import { Browser, signUp } from '../test/session.ts';
import { createApp } from './app.ts';
import { publicRoute } from './auth/authorize.ts';

type Err = { error: { code: string; message: string; field?: string } };

interface Mistake {
  name: string;
  contentType?: string;
  body?: Uint8Array; // bytes, so fetch adds no Content-Type of its own
  status: number;
  code: string;
  field: string;
  message: RegExp;
  /** The OTLP routes (/v1/*) answer the same status as a google.rpc.Status {code, message} (worker/otlp/http.ts). */
  otlp: RegExp;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const MISTAKES: Mistake[] = [
  { name: 'malformed JSON', contentType: 'application/json', body: bytes('{"name": '), status: 400, code: 'invalid_json', field: '(body)', message: /not valid JSON/, otlp: /invalid JSON/i },
  { name: 'empty body', contentType: 'application/json', body: bytes(''), status: 400, code: 'invalid_request', field: '(body)', message: /empty/, otlp: /empty/ },
  { name: 'non-JSON Content-Type', contentType: 'text/plain', body: bytes('{}'), status: 415, code: 'unsupported_media_type', field: 'content-type', message: /application\/json/, otlp: /Content-Type/ },
  { name: 'no Content-Type, a body', body: bytes('{}'), status: 415, code: 'unsupported_media_type', field: 'content-type', message: /application\/json/, otlp: /Content-Type/ },
  { name: 'no Content-Type, no body', status: 415, code: 'unsupported_media_type', field: 'content-type', message: /application\/json/, otlp: /Content-Type/ },
];

interface Caller {
  name: string;
  headers: Record<string, string>;
}

const sessionCaller = (b: Browser): Caller => ({ name: 'session', headers: { cookie: b.cookie!, 'x-csrf-token': b.csrf! } });

async function send(op: Op, path: string, caller: Caller, m: Mistake) {
  const headers = { ...caller.headers, ...(m.contentType && { 'content-type': m.contentType }) };
  const res = await SELF.fetch(`${BASE}${path}`, { method: op.method, headers, body: m.body });
  const text = await res.text();
  let body: Err | null = null;
  try {
    body = JSON.parse(text) as Err;
  } catch {
    // asserted below: every answer must be the JSON envelope
  }
  return { status: res.status, text, body };
}

let ops: Op[];
let owner: Browser;
let keys: Record<string, string>;
let logged: string[];

beforeAll(async () => {
  ops = (await listOps()).filter((o) => o.hasBody);
  owner = await signUp(undefined, 'Body Errors Org');
  keys = {};
  for (const s of SCOPES) keys[s] = (await owner.call('POST', '/api/v1/keys', { name: `body ${s}`, scope: s })).body.key;
});

// The worker runs in this isolate: what it logs goes through this console.
beforeEach(() => {
  logged = [];
  for (const level of ['error', 'warn', 'log'] as const)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
});
afterEach(() => vi.restoreAllMocks());

/** Everyone who may call `op`: anonymous for public routes, else the owner's session and each key scope, where allowed. */
function callers(op: Op): Caller[] {
  if (op.permission === 'public') return [{ name: 'anonymous', headers: {} }];
  if (op.permission === 'session') return [sessionCaller(owner)];
  const out = roleCan('owner', op.permission as Permission) ? [sessionCaller(owner)] : [];
  for (const s of SCOPES) if (scopeCan(s, op.permission as Permission)) out.push({ name: `${s} key`, headers: { authorization: `Bearer ${keys[s]}` } });
  return out;
}

describe('request body mistakes on every operation with a body', () => {
  it('the document lists the operations with a body, ingest and the JSON routes alike', () => {
    const names = ops.map((o) => `${o.method} ${o.path}`);
    expect(ops.length).toBeGreaterThan(15);
    for (const must of ['POST /api/v1/auth/login', 'POST /api/v1/auth/signup', 'POST /api/v1/metrics/collect', 'PATCH /api/v1/alerts/rules/{id}', 'PATCH /api/v1/org'])
      expect(names, must).toContain(must);
  });

  for (const m of MISTAKES)
    it(`${m.name}: ${m.status} ${m.code} naming ${m.field}, for every caller, never logged as unhandled`, async () => {
      let reached = 0;
      for (const op of ops) {
        const path = fill(op.path, {});
        for (const caller of callers(op)) {
          const r = await send(op, path, caller, m);
          const what = `${op.method} ${op.path} as ${caller.name} → ${r.status} ${r.text}`;
          expect(r.status, what).toBeLessThan(500);
          if (op.path.startsWith('/v1/')) {
            const status = r.body as unknown as { code: unknown; message: string };
            expect(typeof status?.code, what).toBe('number');
            expect(status.message, what).toMatch(m.otlp);
          } else {
            expect(r.body?.error, what).toMatchObject({ code: m.code, field: m.field });
            expect(r.body!.error.message, what).toMatch(m.message);
          }
          expect(r.status, what).toBe(m.status);
          reached++;
        }
      }
      expect(reached).toBeGreaterThan(ops.length); // keys as well as sessions were checked
      expect(logged.filter((l) => /unhandled|internal/i.test(l))).toEqual([]);
    }, 60_000);
});

describe('authentication comes before the body', () => {
  const malformed = MISTAKES[0]!;

  it('a caller without credentials gets 401 on every non-public operation, whatever the body', async () => {
    for (const op of ops.filter((o) => o.permission !== 'public')) {
      const r = await send(op, fill(op.path, {}), { name: 'anonymous', headers: {} }, malformed);
      expect(r.status, `${op.method} ${op.path} → ${r.text}`).toBe(401);
    }
  });

  it('a key whose scope lacks the permission gets 403, not the body error', async () => {
    let checked = 0;
    for (const op of ops.filter((o) => o.permission !== 'public'))
      for (const s of SCOPES) {
        if (op.permission !== 'session' && scopeCan(s, op.permission as Permission)) continue;
        const r = await send(op, fill(op.path, {}), { name: s, headers: { authorization: `Bearer ${keys[s]}` } }, malformed);
        expect(r.status, `${op.method} ${op.path} with ${s} key → ${r.text}`).toBe(403);
        checked++;
      }
    expect(checked).toBeGreaterThan(0);
  });

  it("a cookie write without the CSRF token gets 403, not the body error", async () => {
    const r = await send({ method: 'POST', path: '/api/v1/alerts/rules', permission: 'rules:write', hasBody: true }, '/api/v1/alerts/rules', { name: 'no csrf', headers: { cookie: owner.cookie! } }, malformed);
    expect(r.status, r.text).toBe(403);
    expect(r.body?.error.code).toBe('csrf');
  });

  it("another organization's id answers exactly like an unknown one", async () => {
    const other = await signUp(undefined, 'Body Errors Other Org');
    const theirs = (await other.call<{ rules: { id: string }[] }>('GET', '/api/v1/alerts/rules')).body.rules[0]!.id;
    const op: Op = { method: 'PATCH', path: '/api/v1/alerts/rules/{id}', permission: 'rules:write', hasBody: true };
    const foreign = await send(op, `/api/v1/alerts/rules/${theirs}`, sessionCaller(owner), malformed);
    const unknown = await send(op, '/api/v1/alerts/rules/x-none', sessionCaller(owner), malformed);
    expect(foreign.status).toBe(400);
    expect(foreign.text).toBe(unknown.text);
  });
});

// No route has an optional body today; this one, on the real app, pins what it would mean.
describe('a route whose body is optional', () => {
  const app = createApp();
  const Body = z.object({ note: z.string().optional() });
  app.openapi(
    createRoute({ method: 'post', path: '/api/v1/test/optional-body', ...publicRoute, request: { body: { required: false, content: { 'application/json': { schema: Body } } } }, responses: { 200: { description: 'ok' } } }),
    (c) => c.json({ got: c.req.valid('json') }, 200),
  );
  const call = async (init: RequestInit) => {
    const res = await app.request('/api/v1/test/optional-body', { method: 'POST', ...init }, env);
    return { status: res.status, body: (await res.json()) as { got?: unknown } & Partial<Err> };
  };

  it('may be left out: no body and no Content-Type is an empty object', async () => {
    expect(await call({})).toEqual({ status: 200, body: { got: {} } });
  });

  it('is validated when sent', async () => {
    expect(await call({ headers: { 'content-type': 'application/json' }, body: '{"note":"hi"}' })).toEqual({ status: 200, body: { got: { note: 'hi' } } });
    expect((await call({ headers: { 'content-type': 'application/json' }, body: '{"note":1}' })).body.error).toMatchObject({ code: 'invalid_request', field: 'note' });
  });

  it('answers the same mistakes as a required body once Content-Type says JSON, or a body comes', async () => {
    for (const m of MISTAKES.slice(0, 4)) {
      const r = await call({ headers: m.contentType ? { 'content-type': m.contentType } : {}, body: m.body });
      expect(r.status, m.name).toBe(m.status);
      expect(r.body.error, m.name).toMatchObject({ code: m.code, field: m.field });
    }
  });
});
