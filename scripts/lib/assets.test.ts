import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { syncAssets } from './assets.ts';

const tmp: string[] = [];
afterEach(() => tmp.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function dirs() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'assets-test-'));
  tmp.push(root);
  const d = { site: path.join(root, 'site'), downloads: path.join(root, 'downloads'), assets: path.join(root, 'public') };
  const write = (file: string, text: string) => (fs.mkdirSync(path.dirname(file), { recursive: true }), fs.writeFileSync(file, text));
  return { d, write, read: (rel: string) => fs.readFileSync(path.join(d.assets, rel), 'utf8'), exists: (rel: string) => fs.existsSync(path.join(d.assets, rel)) };
}

describe('syncAssets: the site and the agent downloads share the assets directory', () => {
  it('mirrors both, and a site rebuild neither wipes the downloads nor leaves stale pages', () => {
    const { d, write, read, exists } = dirs();
    write(path.join(d.site, 'index.html'), 'home v1');
    write(path.join(d.site, '_astro/a.js'), 'a');
    write(path.join(d.downloads, 'pulse-agent-linux-x64.part00'), 'binary part');
    expect(syncAssets(d)).toBe(3);
    expect(read('index.html')).toBe('home v1');
    expect(read('downloads/pulse-agent-linux-x64.part00')).toBe('binary part');
    // The large parts are hard links, not copies.
    expect(fs.statSync(path.join(d.assets, 'downloads/pulse-agent-linux-x64.part00')).ino).toBe(fs.statSync(path.join(d.downloads, 'pulse-agent-linux-x64.part00')).ino);

    // Astro empties its outDir and writes the new build.
    fs.rmSync(d.site, { recursive: true });
    write(path.join(d.site, 'index.html'), 'home v2');
    write(path.join(d.site, '_astro/b.js'), 'b');
    expect(syncAssets(d)).toBe(3); // index.html changed, b.js added, a.js removed
    expect(read('index.html')).toBe('home v2');
    expect(exists('_astro/a.js')).toBe(false);
    expect(read('_astro/b.js')).toBe('b');
    expect(read('downloads/pulse-agent-linux-x64.part00')).toBe('binary part');
    expect(syncAssets(d)).toBe(0); // nothing to do the second time
  });
});
