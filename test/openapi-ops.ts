// Every operation of the OpenAPI document with its `x-permission` (worker/auth/authorize.ts), so
// the role and tenant-isolation tests cover every route, including ones added later.
import { SELF } from 'cloudflare:test';
import { BASE } from './helpers.ts';

export interface Op {
  method: string;
  path: string; // OpenAPI template, e.g. /api/v1/alerts/rules/{id}
  permission: string; // a Permission, 'session' or 'public'
  hasBody: boolean;
}

export async function listOps(): Promise<Op[]> {
  const doc = (await (await SELF.fetch(`${BASE}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
  const ops: Op[] = [];
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item))
      ops.push({ method: method.toUpperCase(), path, permission: String(op['x-permission'] ?? ''), hasBody: 'requestBody' in op });
  return ops;
}

/** Fills `{param}`s from `values` (by name), falling back to `fallback`. */
export const fill = (path: string, values: Record<string, string>, fallback = 'x-none') =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? fallback));
