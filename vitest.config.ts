import { cloudflareTest } from '@cloudflare/vitest-plugin';
import fs from 'node:fs';
import { defineConfig } from 'vitest/config';

// wrangler.toml's assets directory must exist for the workers pool to start; `npm test` fills it
// (`npm run build`) before vitest runs.
fs.mkdirSync(new URL('./dist/public', import.meta.url), { recursive: true });

// Drivers inside workerd report a socket closed after `end()` as an unhandled error; it is
// harmless and the only error filtered here (see DEVELOPERS.md, toolchain facts).
const STRAY_SOCKET = 'This socket has been closed';

export default defineConfig({
  test: {
    onUnhandledError(error) {
      if (String((error as Error)?.message ?? error).includes(STRAY_SOCKET)) return false;
    },
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['protocol/**/*.test.ts', 'bench/**/*.test.ts', 'agent/**/*.test.ts', 'examples/**/*.test.ts', 'durable-objects/core/**/*.test.ts', 'scripts/**/*.test.ts', 'site/src/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        // The site in real Chromium against the local stack (e2e/README in the main README).
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 240_000,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                DATABASE_URL: inject('databaseUrl'),
                PG_WS_PROXY: inject('pgWsProxy'),
                ENVIRONMENT: 'test',
                // Alert delivery goes to the local recorder (test/recorder-setup.ts); fast retries.
                RECORDER_URL: inject('recorderUrl'),
                RESEND_BASE_URL: `${inject('recorderUrl')}/resend`,
                RESEND_API_KEY: 're_test_key',
                EMAIL_FROM: 'Pulse Test <alerts@test.invalid>',
                ALERT_RETRY_MS: '300,300',
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          include: ['worker/**/*.test.ts', 'durable-objects/*.test.ts'],
          globalSetup: ['./test/global-setup.ts', './test/recorder-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
