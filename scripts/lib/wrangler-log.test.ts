import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runtimeUrlFrom } from './wrangler-log.ts';

// Captured from `wrangler dev --log-level debug` (wrangler 4.156.2) on this project.
const captured = fs.readFileSync(new URL('./fixtures/wrangler-debug-reload.txt', import.meta.url), 'utf8');

describe('runtimeUrlFrom', () => {
  it('finds the runtime address in the proxy reloadComplete message, not the proxy or inspector ones', () => {
    expect(runtimeUrlFrom(captured)).toBe('http://127.0.0.1:43725');
  });

  it('takes the latest of several reloads, and says null when wrangler said nothing', () => {
    const moved = captured.replace('"port":"43725"', '"port":"40001"');
    expect(runtimeUrlFrom(`${captured}\n[wrangler:info] reloading\n${moved}`)).toBe('http://127.0.0.1:40001');
    expect(runtimeUrlFrom('[wrangler-ProxyWorker:info] Ready on http://127.0.0.1:45111')).toBeNull();
  });
});
