// Static build of the dashboard; scripts/build-site.ts copies the output into dist/public, the
// Worker's static assets directory (next to the agent downloads).
import react from '@astrojs/react';
import { defineConfig } from 'astro/config';

export default defineConfig({
  output: 'static',
  outDir: '../dist/site',
  build: { format: 'directory', inlineStylesheets: 'always' },
  integrations: [react()],
  devToolbar: { enabled: false },
  telemetry: false,
  vite: { build: { chunkSizeWarningLimit: 1200 } },
});
