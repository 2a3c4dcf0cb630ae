// Fixture trees and a context builder shared by the collector tests.
import { fileURLToPath } from 'node:url';
import type { CollectContext } from '../types.ts';

export const fixture = (machine: string): string => fileURLToPath(new URL(`./fixtures/${machine}/proc`, import.meta.url));

export const sysFixture = (machine: string): string => fileURLToPath(new URL(`./fixtures/${machine}/sys`, import.meta.url));

export function ctxFor(machine: string, mono: number, now = 1_700_000_000_000 + mono): CollectContext {
  return { now, mono, procRoot: fixture(machine), sysRoot: '/nonexistent', rootFs: '' };
}

/** Labelled values of one metric as {label value: value}, for compact assertions. */
export function byLabel(v: unknown): Record<string, number> {
  if (!Array.isArray(v)) throw new Error(`expected a labelled list, got ${JSON.stringify(v)}`);
  return Object.fromEntries(v.map((x: { labels: Record<string, string>; value: number }) => [Object.values(x.labels)[0], x.value]));
}
