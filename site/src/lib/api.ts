// The browser's API client: same-origin fetch with the session cookie, the CSRF token on every
// state change (docs/auth.md), and the one error envelope turned into ApiError. No secrets here:
// the session lives in an HttpOnly cookie the script never sees.
import type { Me } from '../../../protocol/account.ts';

/** protocol/account.ts CSRF_HEADER; not imported, because that module pulls zod into the bundle. */
const CSRF_HEADER = 'x-csrf-token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let mePromise: Promise<Me | null> | null = null;

export function setMe(me: Me) {
  csrfToken = me.csrfToken;
  mePromise = Promise.resolve(me);
}

/** The signed-in user, or null when there is no session. Cached for the page's life. */
export function loadMe(): Promise<Me | null> {
  mePromise ??= fetch('/api/v1/auth/me', { credentials: 'same-origin' }).then(async (res) => {
    if (res.status === 401) return null;
    if (!res.ok) throw await toError(res);
    const me = (await res.json()) as Me;
    csrfToken = me.csrfToken;
    return me;
  });
  return mePromise;
}

async function toError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; field?: string } };
    return new ApiError(res.status, body.error?.code ?? 'error', body.error?.message ?? res.statusText, body.error?.field);
  } catch {
    return new ApiError(res.status, 'error', `${res.status} ${res.statusText}`);
  }
}

export function loginUrl(): string {
  return `/login/?next=${encodeURIComponent(location.pathname + location.search)}`;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    if (!csrfToken) await loadMe().catch(() => null);
    if (csrfToken) headers[CSRF_HEADER] = csrfToken;
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: init.body === undefined ? null : JSON.stringify(init.body),
    signal: init.signal ?? null,
  });
  if (res.status === 204) return undefined as T;
  if (!res.ok) {
    const err = await toError(res);
    // A session that expired while the page was open: back to the login page, then here.
    if (res.status === 401 && location.pathname.startsWith('/app')) location.assign(loginUrl());
    throw err;
  }
  return (await res.json()) as T;
}

export const qs = (params: Record<string, string | number | undefined>) =>
  Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
