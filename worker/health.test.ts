import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE } from '../test/helpers.ts';

describe('GET /api/v1/health', () => {
  it('reports the worker, an object round trip and Postgres as healthy', async () => {
    const res = await SELF.fetch(`${BASE}/api/v1/health`);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean; error?: string }> };
    expect(body.checks.postgres).toMatchObject({ ok: true });
    expect(body.checks.durableObject).toMatchObject({ ok: true });
    expect(res.status).toBe(200);
    expect(body.status).toBe('ok');
  });
});
