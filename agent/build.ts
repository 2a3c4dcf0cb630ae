// npm run build:agent — compiles the agent into one executable with `bun build --compile` and
// publishes it for GET /download/agent/linux-x64 (worker/routes/install/).
//
// Workers static assets are limited to 25 MiB per file (and `wrangler dev` refuses to start with a
// larger one) while the binary is ~105 MB, so dist/downloads holds it in 20 MiB parts plus a
// manifest; the route streams the parts back as one file. Outputs:
//   agent/dist/pulse-agent-linux-x64                     the binary itself
//   dist/downloads/pulse-agent-linux-x64.sha256          "<hex>  pulse-agent-linux-x64"
//   dist/downloads/pulse-agent-linux-x64.json            { size, sha256, parts }
//   dist/downloads/pulse-agent-linux-x64.partNN          the parts
// and mirrors them into the static assets directory dist/public/downloads (scripts/lib/assets.ts),
// next to the site, which Astro rebuilds without touching them.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOWNLOADS, syncAssets } from '../scripts/lib/assets.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const NAME = 'pulse-agent-linux-x64';
export const PART_BYTES = 20 * 1024 * 1024;

export function publish(binary: Uint8Array, dir: string, name = NAME, partBytes = PART_BYTES): { sha256: string; parts: string[] } {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.startsWith(name)) rmSync(join(dir, f));
  const sha256 = createHash('sha256').update(binary).digest('hex');
  const parts: string[] = [];
  for (let off = 0, i = 0; off < binary.byteLength; off += partBytes, i++) {
    const part = `${name}.part${String(i).padStart(2, '0')}`;
    writeFileSync(join(dir, part), binary.subarray(off, off + partBytes));
    parts.push(part);
  }
  writeFileSync(join(dir, `${name}.sha256`), `${sha256}  ${name}\n`);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ name, size: binary.byteLength, sha256, parts }) + '\n');
  return { sha256, parts };
}

function main(): number {
  const out = join(root, 'agent/dist', NAME);
  const bun = join(root, 'node_modules/.bin/bun');
  const r = spawnSync(bun, ['build', '--compile', '--minify', '--target=bun-linux-x64', join(root, 'agent/main.ts'), '--outfile', out], { stdio: 'inherit' });
  if (r.status !== 0) return r.status ?? 1;
  const bin = readFileSync(out);
  const { sha256, parts } = publish(bin, DOWNLOADS);
  syncAssets();
  process.stdout.write(`${out}: ${(bin.byteLength / 1e6).toFixed(1)} MB, sha256 ${sha256}; published in ${parts.length} parts under dist/downloads/ (served from dist/public/downloads/)\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exit(main());
