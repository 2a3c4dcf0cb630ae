// One JSON error envelope for every failure: {"error": {"code", "message", "field"?, "issues"?}}.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export interface Issue {
  field: string;
  message: string;
}

/** A JS-like path: samples[0].metrics["cpu.usage.total"] (metric names contain dots). */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(String(p))) out += out ? `.${String(p)}` : String(p);
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || '(body)';
}

export function zodIssues(err: ZodError, prefix = ''): Issue[] {
  return err.issues.map((i) => {
    // Unknown keys are reported on the parent object; name the key itself.
    const keys = i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys : undefined;
    const path = keys?.length ? [...i.path, keys[0]!] : i.path;
    return { field: formatPath(path, prefix), message: keys?.length ? `unknown field "${keys.join('", "')}"` : i.message };
  });
}

export function validationError(issues: Issue[]): Response {
  const first = issues[0] ?? { field: '(body)', message: 'invalid' };
  return Response.json(
    { error: { code: 'invalid_request', message: `${first.field}: ${first.message}`, field: first.field, issues: issues.slice(0, 20) } },
    { status: 400 },
  );
}

export function errorResponse(c: Context, err: unknown): Response {
  if (err instanceof ApiError) {
    const body: Record<string, unknown> = { code: err.code, message: err.message };
    if (err.field) body.field = err.field;
    return c.json({ error: body }, err.status, err.headers);
  }
  // Never a stack trace to the client; the log has it.
  console.error(JSON.stringify({ msg: 'unhandled error', path: new URL(c.req.url).pathname, error: String(err), stack: (err as Error)?.stack }));
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}
