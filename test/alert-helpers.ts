// Helpers for alerting tests inside workerd: admin keys, JSON calls, and the recorder's log.
import { env, SELF } from 'cloudflare:test';
import { withDb } from '../worker/db/client.ts';
import { createApiKey } from '../worker/db/tenants.ts';
import { BASE, seedTenant } from './helpers.ts';

export const RECORDER = (env as unknown as { RECORDER_URL: string }).RECORDER_URL;

export async function seedAdminTenant(name = 'Alerts Org') {
  const t = await seedTenant(name);
  const admin = await withDb(env, (db) => createApiKey(db, t.tenant.id, 'admin'));
  return { ...t, adminKey: admin.secret };
}

export async function api<T = Record<string, unknown>>(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await SELF.fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

// Type-only: erased at build, so the Node-side recorder module is not loaded in workerd.
export type { Received } from './recorder.ts';
import type { Received } from './recorder.ts';

export async function received(prefix: string): Promise<Received[]> {
  const res = await fetch(`${RECORDER}/_received?prefix=${encodeURIComponent(prefix)}`);
  return (await res.json()) as Received[];
}

/**
 * Polls until `check` passes and returns that value; past the timeout it throws with the last
 * value. (It used to return the last value, so a caller that did not assert it again went on
 * as if the condition held.)
 */
export async function waitFor<T>(get: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await get();
  while (!check(v)) {
    if (Date.now() >= deadline) throw new Error(`waitFor: not met within ${timeoutMs} ms; last value: ${preview(v)}`);
    await new Promise((r) => setTimeout(r, 50));
    v = await get();
  }
  return v;
}

function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 500 ? `${s.slice(0, 500)}…` : s;
}

export const uniq = () => Math.random().toString(36).slice(2, 10);
