// One JSON error envelope for every failure: {"error": {"code", "message", "field"?, "issues"?}}.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
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

/** A JSON body route called with another Content-Type, or none: checked before the body. */
export const unsupportedMediaType = () => new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json', 'content-type');

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;
const CODE_BY_STATUS: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 413: 'body_too_large', 415: 'unsupported_media_type', 429: 'rate_limited' };

/**
 * hono's validator and @hono/zod-openapi's media-type gate throw HTTPException before any hook
 * runs: 415 for a Content-Type the route does not declare, 400 when the JSON body does not parse.
 * Both are the client's mistake: say which, in the envelope. The body was already read (and is
 * cached on the request), so reading it again costs nothing.
 */
async function fromHttpException(c: Context, err: HTTPException): Promise<ApiError> {
  if (err.status === 415) return unsupportedMediaType();
  if (err.status === 400 && JSON_MEDIA_TYPE.test(c.req.header('content-type') ?? '')) {
    // Unreadable here too (it cannot be: the parser read it): fall back to the generic answer.
    const text = await c.req.text().catch(() => null);
    if (text === '') return new ApiError(400, 'invalid_request', 'request body is empty; send a JSON object', '(body)');
    try {
      if (text !== null) JSON.parse(text);
    } catch (parse) {
      return new ApiError(400, 'invalid_json', `body is not valid JSON: ${(parse as Error).message}`, '(body)');
    }
  }
  return new ApiError(err.status, CODE_BY_STATUS[err.status] ?? 'invalid_request', err.message || 'request refused');
}

export async function errorResponse(c: Context, err: unknown): Promise<Response> {
  // A client mistake is answered, not logged as a failure of ours.
  if (err instanceof HTTPException && err.status < 500) err = await fromHttpException(c, err);
  if (err instanceof ApiError) {
    const body: Record<string, unknown> = { code: err.code, message: err.message };
    if (err.field) body.field = err.field;
    return c.json({ error: body }, err.status, err.headers);
  }
  // Never a stack trace to the client; the log has it, without the query's parameters.
  const cause = (err as { cause?: unknown })?.cause;
  console.error(
    JSON.stringify({
      msg: 'unhandled error',
      path: new URL(c.req.url).pathname,
      error: redactParams(String(err)),
      ...(cause !== undefined ? { cause: redactParams(String(cause)) } : {}),
      stack: redactParams(String((err as Error)?.stack ?? '')),
    }),
  );
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}

/**
 * drizzle's "Failed query" errors end with the statement's parameters (a key or session token
 * hash, an e-mail, log text): the log keeps the statement and the cause, not the values.
 */
export function redactParams(text: string): string {
  return text.replace(/\nparams: [^\n]*/g, '\nparams: (redacted)');
}
