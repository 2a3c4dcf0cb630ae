// npm run build:agent [-- --target linux-x64,linux-arm64] — compiles the agent for each platform of
// agent/platforms.ts with `bun build --compile` (Bun fetches the other platforms' runtimes as npm
// packages on first use) and publishes each for GET /download/agent/<platform>.{xz,gz,sha256}
// (worker/routes/install/). Outputs, for each platform:
//   agent/dist/pulse-agent-<platform>[.exe]                 the binary itself
//   dist/downloads/pulse-agent-<platform>.sha256            "<hex>  pulse-agent-<platform>" (of the binary)
//   dist/downloads/pulse-agent-<platform>.json              DownloadManifest: sizes, sha256s, part names
//   dist/downloads/pulse-agent-<platform>.{xz,gz}.partNN    the compressed binary in 20 MiB parts
// and mirrors them into the static assets directory dist/public/downloads (scripts/lib/assets.ts),
// next to the site, which Astro rebuilds without touching them. Needs the `xz` command.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip, constants } from 'node:zlib';
import { DOWNLOADS, syncAssets } from '../scripts/lib/assets.ts';
import { baseName, ENCODINGS, isPlatform, PART_BYTES, PLATFORMS, type DownloadManifest, type Encoding, type Platform } from './platforms.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** gzip -9 (zlib: the same deflate as the gzip command); the header is what `gzip -d` reads. */
export const gzip9 = (b: Uint8Array) => promisify(gzip)(b, { level: constants.Z_BEST_COMPRESSION, memLevel: 9 });

/**
 * xz -9: a 64 MiB dictionary sees the whole binary. One thread, so the file is one block (a
 * multi-threaded xz splits it and compresses worse). No BCJ filter: 3 % smaller, but not every
 * xz decoder has the x86 and ARM64 ones (busybox may lack them, ARM64's needs xz 5.4).
 */
export function xz9(b: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn('xz', ['-9', '-T1', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('error', (e) => reject(new Error(`cannot run xz (${e.message}); install it (Debian: apt-get install xz-utils)`)));
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`xz exited with ${code}: ${err}`))));
    p.stdin.on('error', reject);
    p.stdin.end(b);
  });
}

/**
 * Writes one platform's downloads into `dir`, replacing its earlier files; the manifest last, so
 * the route never sees a manifest naming parts not written yet. Returns the manifest.
 */
export function publish(platform: string, binary: Uint8Array, compressed: Record<Encoding, Uint8Array>, dir: string, partBytes = PART_BYTES): DownloadManifest {
  const name = baseName(platform);
  mkdirSync(dir, { recursive: true });
  // `<name>.` so that linux-x64 does not take linux-x64-baseline's files with it.
  for (const f of readdirSync(dir)) if (f.startsWith(`${name}.`)) rmSync(join(dir, f));
  const files = {} as DownloadManifest['files'];
  for (const enc of Object.keys(ENCODINGS) as Encoding[]) {
    const data = compressed[enc];
    const parts: string[] = [];
    for (let off = 0, i = 0; off < data.byteLength; off += partBytes, i++) {
      const part = `${name}.${enc}.part${String(i).padStart(2, '0')}`;
      writeFileSync(join(dir, part), data.subarray(off, off + partBytes));
      parts.push(part);
    }
    files[enc] = { size: data.byteLength, sha256: sha256(data), parts };
  }
  const manifest: DownloadManifest = { name, platform, size: binary.byteLength, sha256: sha256(binary), files };
  writeFileSync(join(dir, `${name}.sha256`), `${manifest.sha256}  ${name}\n`);
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(manifest) + '\n');
  return manifest;
}

/** Runs `jobs` at most `limit` at a time (xz -9 takes ~700 MB and one core each). */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

function parseTargets(argv: string[]): Platform[] {
  const i = argv.indexOf('--target');
  const arg = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--target='))?.slice('--target='.length);
  if (arg === undefined) return Object.keys(PLATFORMS) as Platform[];
  const list = arg.split(',').filter(Boolean);
  const bad = list.filter((p) => !isPlatform(p));
  if (bad.length || !list.length) throw new Error(`--target: unknown platform ${bad.join(', ') || '(none)'}; known: ${Object.keys(PLATFORMS).join(', ')}`);
  return list as Platform[];
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

async function main(): Promise<number> {
  let targets: Platform[];
  try {
    targets = parseTargets(process.argv.slice(2));
  } catch (e) {
    return process.stderr.write(`${(e as Error).message}\n`), 2;
  }
  const bun = join(root, 'node_modules/.bin/bun');
  const binaries = new Map<Platform, Buffer>();
  for (const p of targets) {
    const out = join(root, 'agent/dist', baseName(p) + PLATFORMS[p].exe);
    const r = spawnSync(bun, ['build', '--compile', '--minify', `--target=${PLATFORMS[p].target}`, join(root, 'agent/main.ts'), '--outfile', out], { stdio: 'inherit' });
    if (r.status !== 0) return process.stderr.write(`build:agent: bun build --target=${PLATFORMS[p].target} failed\n`), r.status ?? 1;
    binaries.set(p, readFileSync(out));
  }
  process.stdout.write(`compressing ${targets.length} binaries (xz -9 and gzip -9; xz takes a minute or two each)\n`);
  const t0 = performance.now();
  const compress: Record<Encoding, (b: Uint8Array) => Promise<Buffer>> = { xz: xz9, gz: gzip9 };
  const jobs = targets.flatMap((p) => (Object.keys(ENCODINGS) as Encoding[]).map((enc) => async () => ({ p, enc, data: await compress[enc](binaries.get(p)!) })));
  const done = await pool(jobs, availableParallelism());
  for (const p of targets) {
    const bin = binaries.get(p)!;
    const c = Object.fromEntries(done.filter((d) => d.p === p).map((d) => [d.enc, d.data])) as Record<Encoding, Buffer>;
    const m = publish(p, bin, c, DOWNLOADS);
    process.stdout.write(`${baseName(p)}: ${mb(m.size)} (sha256 ${m.sha256}); .xz ${mb(m.files.xz.size)} in ${m.files.xz.parts.length} parts, .gz ${mb(m.files.gz.size)} in ${m.files.gz.parts.length} parts\n`);
  }
  syncAssets();
  process.stdout.write(`compressed in ${((performance.now() - t0) / 1000).toFixed(0)} s; published under dist/downloads/ (served from dist/public/downloads/)\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then((code) => process.exit(code), (e) => {
    process.stderr.write(`build:agent: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
