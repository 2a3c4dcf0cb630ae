// Small helpers for reading procfs/sysfs files and building labelled values.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabelledValue } from '../protocol/index.ts';

export function readText(root: string, rel: string): Promise<string> {
  return readFile(join(root, rel), 'utf8');
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
