// GET /install.sh and GET /download/agent/<platform>[.xz|.gz|.sha256]. The binaries (~90-115 MB
// each) live in the Worker's static assets (binding ASSETS, directory ./dist/public) compressed,
// in 20 MiB parts because an asset may be at most 25 MiB; `npm run build:agent` writes them
// (agent/build.ts) and this route streams a file's parts back as one (download.ts).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { baseName, ENCODINGS, PLATFORMS } from '../../../agent/platforms.ts';
import type { AppEnv } from '../../types.ts';
import { binaryBody, joinParts, manifest, parseFile, type AssetFetch } from './download.ts';
import { installScript } from './script.ts';

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
    const want = parseFile(file);
    if ('unknown' in want) {
      const names = Object.keys(PLATFORMS).join(', ');
      return c.json({ error: { code: 'not_found', message: `no agent download "${file}"; platforms: ${names}, each as <platform>.xz, <platform>.gz, <platform>.sha256 or <platform> (unpacked)` } }, 404);
    }
    const asset: AssetFetch = (name) => c.env.ASSETS.fetch(new URL(`/downloads/${name}`, c.req.url));
    const name = baseName(want.platform);
    if (want.kind === 'sha256') {
      const res = await asset(`${name}.sha256`);
      if (!res.ok) return c.json(notBuilt(want.platform), 404);
      return c.body(await res.text(), 200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    }
    const m = await manifest(asset, name);
    if (!m) return c.json(notBuilt(want.platform), 404);
    const served = want.kind === 'compressed' ? { ...joinParts(asset, m.files[want.encoding].parts, m.files[want.encoding].size), size: m.files[want.encoding].size } : { ...binaryBody(asset, m), size: m.size };
    c.executionCtx.waitUntil(served.done.catch((e: unknown) => console.error(JSON.stringify({ msg: 'agent download ended early', file, error: String(e) }))));
    const exe = PLATFORMS[want.platform].exe;
    return new Response(served.body, {
      headers: want.kind === 'compressed'
        ? {
            'content-type': ENCODINGS[want.encoding],
            'content-disposition': `attachment; filename="${name}.${want.encoding}"`,
            'content-length': String(served.size),
            'x-checksum-sha256': m.files[want.encoding].sha256,
            // What the installer checks after unpacking (the same as <platform>.sha256).
            'x-unpacked-sha256': m.sha256,
            'x-unpacked-size': String(m.size),
            'cache-control': 'no-cache',
          }
        : {
            'content-type': 'application/octet-stream',
            'content-disposition': `attachment; filename="pulse-agent${exe}"`,
            'content-length': String(served.size),
            'x-checksum-sha256': m.sha256,
            'cache-control': 'no-cache',
          },
    });
  });
}
