// The time range of a view, kept in the URL (?range=6h or ?from=..&to=..) so a view can be shared.
export const PRESETS = { '1h': 3600_000, '6h': 6 * 3600_000, '24h': 24 * 3600_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
/** A service page also has the short ranges its per-second tier (15 minutes) can fill. */
export const SERVICE_PRESETS = { '5m': 5 * 60_000, '15m': 15 * 60_000, ...PRESETS } as const;
export type Preset = keyof typeof SERVICE_PRESETS;
export type Presets = Partial<Record<Preset, number>>;

export type Range = { kind: 'preset'; preset: Preset } | { kind: 'custom'; from: number; to: number };

export function readRange(search: string, presets: Presets = PRESETS, fallback: Preset = '1h'): Range {
  const p = new URLSearchParams(search);
  const from = Number(p.get('from'));
  const to = Number(p.get('to'));
  if (p.has('from') && p.has('to') && Number.isFinite(from) && Number.isFinite(to) && from < to) return { kind: 'custom', from, to };
  const r = p.get('range');
  return { kind: 'preset', preset: r && Object.hasOwn(presets, r) ? (r as Preset) : fallback };
}

export function writeRange(range: Range) {
  const url = new URL(location.href);
  url.searchParams.delete('range');
  url.searchParams.delete('from');
  url.searchParams.delete('to');
  if (range.kind === 'preset') url.searchParams.set('range', range.preset);
  else {
    url.searchParams.set('from', String(Math.round(range.from)));
    url.searchParams.set('to', String(Math.round(range.to)));
  }
  history.pushState(null, '', url);
}

/** The window [from, to] now; a preset slides with the clock (and takes live samples). */
export function resolveRange(range: Range, now = Date.now()): { from: number; to: number; live: boolean } {
  if (range.kind === 'preset') return { from: now - SERVICE_PRESETS[range.preset], to: now, live: true };
  return { from: range.from, to: range.to, live: false };
}

export const toLocalInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};
