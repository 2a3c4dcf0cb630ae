import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { preparePlatformAssets } from './platform-assets.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-assets-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

describe('preparePlatformAssets', () => {
  it("writes _headers with the security headers and every page's inline script hashes", async () => {
    const island = 'customElements.define("astro-island", class extends HTMLElement {});';
    const theme = "document.documentElement.dataset.theme = localStorage.theme ?? 'light';";
    fs.mkdirSync(path.join(dir, 'app', 'host'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.html'), `<html><head><script>${island}</script><script src="/_astro/x.js"></script></head></html>`);
    fs.writeFileSync(path.join(dir, 'app', 'host', 'index.html'), `<html><script is:inline>${theme}</script><script>${island}</script></html>`);

    await preparePlatformAssets(dir);
    const text = fs.readFileSync(path.join(dir, '_headers'), 'utf8');
    const lines = text.split('\n');
    expect(lines[1]).toBe('/*'); // one rule, for every file
    const headers = new Map(lines.slice(2).filter(Boolean).map((l) => [l.slice(2, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('strict-transport-security')).toContain('max-age=31536000');
    expect(headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    const csp = headers.get('content-security-policy')!;
    expect(csp).toContain(`script-src 'self' ${[sha(island), sha(theme)].sort().join(' ')};`);
    expect(csp).toContain("connect-src 'self';"); // no host baked in at build time
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:|wss?:/);

    // Swagger UI for /api/docs, byte for byte; a second run changes nothing.
    const bundle = path.join(dir, 'vendor', 'swagger-ui', 'swagger-ui-bundle.js');
    expect(fs.statSync(bundle).size).toBeGreaterThan(500_000);
    const before = fs.statSync(path.join(dir, '_headers')).mtimeMs;
    await preparePlatformAssets(dir);
    expect(fs.statSync(path.join(dir, '_headers')).mtimeMs).toBe(before);
  });
});
