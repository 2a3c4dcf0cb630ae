// GET /install.sh and GET /download/agent/linux-x64[.sha256]. The binary (~105 MB) lives in the
// Worker's static assets (binding ASSETS, directory ./dist/public) as 20 MiB parts because an asset may
// be at most 25 MiB; `npm run build:agent` writes them (agent/build.ts) and this route streams
// them back as one file.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../types.ts';
import { installScript } from './script.ts';

const PLATFORMS = new Set(['linux-x64']);

interface Manifest {
  name: string;
  size: number;
  sha256: string;
  parts: string[];
}

const notBuilt = (platform: string) => ({
  error: { code: 'not_found', message: `the agent binary for ${platform} is not built on this server; run \`npm run build:agent\`` },
});

export function registerInstall(app: OpenAPIHono<AppEnv>) {
  app.get('/install.sh', (c) => {
    const origin = new URL(c.req.url).origin;
    return c.body(installScript(origin), 200, { 'content-type': 'text/x-shellscript; charset=utf-8', 'cache-control': 'no-cache' });
  });

  app.get('/download/agent/:file', async (c) => {
    const file = c.req.param('file');
    const sha = file.endsWith('.sha256');
    const platform = sha ? file.slice(0, -'.sha256'.length) : file;
    if (!PLATFORMS.has(platform)) return c.json({ error: { code: 'not_found', message: `no agent build for "${platform}"; available: ${[...PLATFORMS].join(', ')}` } }, 404);
    const asset = (name: string) => c.env.ASSETS.fetch(new URL(`/downloads/${name}`, c.req.url));
    const base = `pulse-agent-${platform}`;
    if (sha) {
      const res = await asset(`${base}.sha256`);
      if (!res.ok) return c.json(notBuilt(platform), 404);
      return c.body(await res.text(), 200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    }
    const mres = await asset(`${base}.json`);
    if (!mres.ok) return c.json(notBuilt(platform), 404);
    const m = (await mres.json()) as Manifest;
    // One part at a time, so at most one part is in flight however slow the client is.
    const { readable, writable } = new FixedLengthStream(m.size);
    const pump = async () => {
      for (const part of m.parts) {
        const res = await asset(part);
        if (!res.ok || !res.body) throw new Error(`asset ${part} missing (${res.status})`);
        await res.body.pipeTo(writable, { preventClose: true });
      }
      await writable.close();
    };
    c.executionCtx.waitUntil(pump().catch((e) => writable.abort(e)));
    return new Response(readable, {
      headers: {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="pulse-agent"`,
        'content-length': String(m.size),
        'x-checksum-sha256': m.sha256,
        'cache-control': 'no-cache',
      },
    });
  });
}
