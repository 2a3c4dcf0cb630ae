// Small helpers for reading procfs/sysfs files and building labelled values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelledValue } from '../protocol/index.ts';

/**
 * Synchronous on purpose: procfs/sysfs files are generated from kernel memory and never wait on a
 * disk, and a thread-pool round trip per file cost ~3x the CPU of the read itself (~0.1 ms each,
 * a dozen files per interval; docs/performance.md). statfs, which can hang on NFS, stays async.
 * Async function, so a failed read is still a rejection the runner handles per collector.
 */
export async function readText(root: string, rel: string): Promise<string> {
  return readFileSync(join(root, rel), 'utf8');
}

/** Like readText, but a missing file (e.g. sockstat6 with IPv6 disabled) reads as null. */
export async function readOptional(root: string, rel: string): Promise<string | null> {
  try {
    return await readText(root, rel);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Rounds to a fixed number of decimals: keeps the JSON small and the values readable. */
export function round(v: number, decimals = 2): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

/** Appends {labels: {key: id}, value} to a list metric, creating the list on first use. */
export function pushLabelled(metrics: Record<string, number | LabelledValue[]>, name: string, key: string, id: string, value: number): void {
  let list = metrics[name];
  if (!Array.isArray(list)) metrics[name] = list = [];
  list.push({ labels: { [key]: id }, value });
}

/** Simple glob ("eth*", "veth?") to RegExp; other characters are literal. */
export function globToRegExp(glob: string): RegExp {
  const src = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${src}$`);
}

export function matchesAny(name: string, patterns: readonly RegExp[]): boolean {
  return patterns.some((p) => p.test(name));
}
