import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE } from '../test/helpers.ts';

// Needs the built site in dist/public (`npm run build`; `npm test` runs it first).
describe('the site and the API share one origin', () => {
  it('serves the landing page and app pages from the static assets', async () => {
    const home = await SELF.fetch(`${BASE}/`);
    expect(home.status, 'dist/public/index.html missing: run `npm run build`').toBe(200);
    expect(home.headers.get('content-type')).toContain('text/html');
    expect(await home.text()).toContain('Pulse');
    const host = await SELF.fetch(`${BASE}/app/host/`);
    expect(host.status).toBe(200);
    expect(await host.text()).toContain('<html');
  });

  it('keeps /api/* on the API: unknown API paths answer the JSON error, not a page', async () => {
    const res = await SELF.fetch(`${BASE}/api/v1/no-such-thing`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('does not serve the raw agent parts as files', async () => {
    const res = await SELF.fetch(`${BASE}/downloads/pulse-agent-linux-x64.json`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
  });
});
