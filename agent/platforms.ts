// The agent builds the server offers, shared by agent/build.ts (which compiles and publishes them),
// the download route and /install.sh (worker/routes/install/). Pure: no Node imports.

/** Platform name (as in GET /download/agent/<platform>) → Bun's cross-compilation target. */
export const PLATFORMS = {
  'linux-x64': { target: 'bun-linux-x64', exe: '' },
  'linux-arm64': { target: 'bun-linux-arm64', exe: '' },
  'darwin-x64': { target: 'bun-darwin-x64', exe: '' },
  'darwin-arm64': { target: 'bun-darwin-arm64', exe: '' },
  'windows-x64': { target: 'bun-windows-x64', exe: '.exe' },
} as const;
export type Platform = keyof typeof PLATFORMS;
export const isPlatform = (s: string): s is Platform => Object.hasOwn(PLATFORMS, s);

/**
 * The compressed forms each binary is published in. xz -9 is the smaller (the linux-x64 binary:
 * 110 MB → 38 MB, gzip -9 → 52 MB); gzip is the fallback every system can unpack (macOS has no
 * xz, Windows unpacks gzip with .NET's GZipStream). Measurements: docs/agent.md.
 */
export const ENCODINGS = {
  xz: 'application/x-xz',
  gz: 'application/gzip',
} as const;
export type Encoding = keyof typeof ENCODINGS;

/**
 * A Workers static asset may be at most 25 MiB (and `wrangler dev` refuses to start with a larger
 * one), so each compressed file is published in parts of this size and the route joins them.
 */
export const PART_BYTES = 20 * 1024 * 1024;

export const baseName = (p: Platform | string) => `pulse-agent-${p}`;

/** dist/downloads/pulse-agent-<platform>.json, written by agent/build.ts. */
export interface DownloadManifest {
  name: string;
  platform: string;
  /** The unpacked binary: what the .sha256 file names and the installer checks. */
  size: number;
  sha256: string;
  files: Record<Encoding, { size: number; sha256: string; parts: string[] }>;
}
