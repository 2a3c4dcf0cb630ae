import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { PLATFORMS, type DownloadManifest } from '../../../agent/platforms.ts';
import { BASE } from '../../../test/helpers.ts';
import { binaryBody, joinParts, manifest, parseFile, type AssetFetch } from './download.ts';

const hex = (b: ArrayBuffer | Uint8Array) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
const sha256 = async (b: ArrayBuffer | Uint8Array) => hex(await crypto.subtle.digest('SHA-256', b));
const bytes = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());
const gzip = async (b: Uint8Array) => bytes(new Blob([b]).stream().pipeThrough(new CompressionStream('gzip')));
type Err = { error: { code: string; message: string } };

describe('GET /install.sh', () => {
  it('serves a POSIX sh installer pointing at this server', async () => {
    const res = await SELF.fetch(`${BASE}/install.sh`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/x-shellscript');
    const text = await res.text();
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain(`SERVER='${BASE}'`);
    expect(text).toContain('URL="$SERVER/download/agent/$ARCH"');
    expect(text).toContain('ProtectSystem=strict');
    expect(text).toContain('<key>Label</key>');
  });
});

/** An in-memory ASSETS: name → bytes, counting fetches. */
function assets(files: Record<string, Uint8Array | string>) {
  const fetched: string[] = [];
  const fetch: AssetFetch = async (name) => {
    fetched.push(name);
    const f = files[name];
    return f === undefined ? new Response('not found', { status: 404 }) : new Response(f);
  };
  return { fetch, fetched };
}

/** A "binary" compressed and split the way agent/build.ts publishes it, with tiny parts. */
async function published(binary: Uint8Array, partBytes: number) {
  const gz = await gzip(binary);
  const files: Record<string, Uint8Array | string> = {};
  const parts: string[] = [];
  for (let off = 0, i = 0; off < gz.length; off += partBytes, i++) {
    parts.push(`p.gz.part${i}`);
    files[`p.gz.part${i}`] = gz.subarray(off, off + partBytes);
  }
  const m: DownloadManifest = {
    name: 'p', platform: 'linux-x64', size: binary.length, sha256: await sha256(binary),
    files: { gz: { size: gz.length, sha256: await sha256(gz), parts }, xz: { size: 0, sha256: '', parts: [] } },
  };
  files['p.json'] = JSON.stringify(m);
  return { gz, files, m };
}

describe('download core (in workerd, with in-memory assets)', () => {
  // Random, so that it does not compress away: ~20 parts of 4 KiB.
  const binary = new Uint8Array(80_000);
  for (let off = 0; off < binary.length; off += 65_536) crypto.getRandomValues(binary.subarray(off, off + 65_536));

  it('joins the parts in order into exactly the compressed file, fetching one part at a time', async () => {
    const { gz, files, m } = await published(binary, 4096);
    expect(m.files.gz.parts.length).toBeGreaterThan(3);
    const a = assets(files);
    const { body, done } = joinParts(a.fetch, m.files.gz.parts, m.files.gz.size);
    const got = await bytes(body);
    await done;
    expect(await sha256(got)).toBe(await sha256(gz));
    expect(a.fetched).toEqual(m.files.gz.parts);
  });

  it('serves the unpacked binary by gunzipping the joined parts', async () => {
    const { files, m } = await published(binary, 5000);
    const a = assets(files);
    const got = await manifest(a.fetch, 'p');
    expect(got).toEqual(m);
    const { body, done } = binaryBody(a.fetch, m);
    expect(await sha256(await bytes(body))).toBe(m.sha256);
    await done;
  });

  it('errors the stream (never a short file that looks whole) when a part is missing or short', async () => {
    const { files, m } = await published(binary, 4096);
    const missing = { ...files };
    delete missing[m.files.gz.parts[2]!];
    const a = joinParts(assets(missing).fetch, m.files.gz.parts, m.files.gz.size);
    const [body, done] = await Promise.allSettled([bytes(a.body), a.done]);
    expect(body.status).toBe('rejected');
    expect(done.status === 'rejected' && String(done.reason)).toContain('p.gz.part2 missing (404)');

    const short = { ...files, [m.files.gz.parts[1]!]: (files[m.files.gz.parts[1]!] as Uint8Array).subarray(0, 100) };
    const b = joinParts(assets(short).fetch, m.files.gz.parts, m.files.gz.size);
    const [body2, done2] = await Promise.allSettled([bytes(b.body), b.done]);
    expect(body2.status).toBe('rejected');
    expect(done2.status === 'rejected' && String(done2.reason)).toContain(`the manifest says ${m.files.gz.size}`);
  });

  it('reads a manifest of the old uncompressed layout as not built', async () => {
    const old = assets({ 'p.json': JSON.stringify({ name: 'p', size: 5, sha256: 'x', parts: ['p.part00'] }) });
    expect(await manifest(old.fetch, 'p')).toBeNull();
    expect(await manifest(assets({}).fetch, 'p')).toBeNull();
  });

  it('parses what a download path asks for', () => {
    expect(parseFile('linux-arm64')).toEqual({ platform: 'linux-arm64', kind: 'binary' });
    expect(parseFile('darwin-x64.sha256')).toEqual({ platform: 'darwin-x64', kind: 'sha256' });
    expect(parseFile('windows-x64.gz')).toEqual({ platform: 'windows-x64', kind: 'compressed', encoding: 'gz' });
    expect(parseFile('linux-x64.xz')).toEqual({ platform: 'linux-x64', kind: 'compressed', encoding: 'xz' });
    expect(parseFile('linux-x64.tar.gz')).toEqual({ unknown: 'linux-x64.tar.gz' });
    expect(parseFile('freebsd-x64')).toEqual({ unknown: 'freebsd-x64' });
    expect(parseFile('__proto__.gz')).toEqual({ unknown: '__proto__' });
  });
});

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const GZ_MAGIC = [0x1f, 0x8b];

describe('GET /download/agent/:file', () => {
  // `npm test` does not build the agent (npm run build:agent, minutes): then every form answers
  // 404 naming the build step. After a build, each served platform is checked whole.
  for (const platform of Object.keys(PLATFORMS)) {
    it(`${platform}: serves .xz, .gz and the binary matching .sha256, or says how to build it`, async () => {
      const sha = await SELF.fetch(`${BASE}/download/agent/${platform}.sha256`);
      if (sha.status === 404) {
        expect(((await sha.json()) as Err).error.message).toContain('npm run build:agent');
        for (const f of ['', '.xz', '.gz']) {
          const res = await SELF.fetch(`${BASE}/download/agent/${platform}${f}`);
          expect(res.status).toBe(404);
          expect(((await res.json()) as Err).error.message).toContain('npm run build:agent');
        }
        return;
      }
      expect(sha.status).toBe(200);
      const want = (await sha.text()).split(/\s+/)[0]!;
      expect(want).toMatch(/^[0-9a-f]{64}$/);
      for (const [enc, magic] of [['xz', XZ_MAGIC], ['gz', GZ_MAGIC]] as const) {
        const res = await SELF.fetch(`${BASE}/download/agent/${platform}.${enc}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-unpacked-sha256')).toBe(want);
        const body = new Uint8Array(await res.arrayBuffer());
        expect(String(body.length)).toBe(res.headers.get('content-length'));
        if (enc === 'xz') expect(body.length).toBeLessThan(45e6); // what install.sh fetches where xz is: the bound
        expect([...body.subarray(0, magic.length)]).toEqual(magic);
        expect(await sha256(body)).toBe(res.headers.get('x-checksum-sha256'));
        if (enc === 'gz') expect(await sha256(await bytes(new Blob([body]).stream().pipeThrough(new DecompressionStream('gzip'))))).toBe(want);
      }
      const raw = await SELF.fetch(`${BASE}/download/agent/${platform}`);
      expect(raw.status).toBe(200);
      const bin = new Uint8Array(await raw.arrayBuffer());
      expect(String(bin.length)).toBe(raw.headers.get('content-length'));
      expect(await sha256(bin)).toBe(want);
    }, 120_000);
  }

  it('answers 404 with a JSON error naming the platforms for an unknown one', async () => {
    const res = await SELF.fetch(`${BASE}/download/agent/windows-arm64`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as Err;
    expect(body.error.code).toBe('not_found');
    expect(body.error.message).toContain('linux-arm64');
  });
});
