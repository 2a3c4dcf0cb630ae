import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE } from '../../../test/helpers.ts';

const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');

describe('GET /install.sh', () => {
  it('serves a POSIX sh installer pointing at this server', async () => {
    const res = await SELF.fetch(`${BASE}/install.sh`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/x-shellscript');
    const text = await res.text();
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain(`SERVER='${BASE}'`);
    expect(text).toContain('$SERVER/download/agent/$ARCH.sha256');
    expect(text).toContain('ProtectSystem=strict');
  });
});

describe('GET /download/agent/:platform', () => {
  it('streams the built binary whole, matching its .sha256, or says how to build it', async () => {
    const sha = await SELF.fetch(`${BASE}/download/agent/linux-x64.sha256`);
    const res = await SELF.fetch(`${BASE}/download/agent/linux-x64`);
    if (sha.status === 404) {
      // Not built in this checkout: both answer with the JSON error naming the build step.
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toContain('npm run build:agent');
      expect(((await sha.json()) as { error: { message: string } }).error.message).toContain('npm run build:agent');
      return;
    }
    expect(sha.status).toBe(200);
    const want = (await sha.text()).split(/\s+/)[0]!;
    expect(want).toMatch(/^[0-9a-f]{64}$/);
    expect(res.status).toBe(200);
    const bytes = await res.arrayBuffer();
    expect(String(bytes.byteLength)).toBe(res.headers.get('content-length'));
    expect(hex(await crypto.subtle.digest('SHA-256', bytes))).toBe(want);
    // An ELF executable, i.e. the parts were joined in order.
    expect([...new Uint8Array(bytes, 0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
  }, 60_000);

  it('answers 404 with a JSON error for an unknown platform', async () => {
    const res = await SELF.fetch(`${BASE}/download/agent/windows-arm64`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
