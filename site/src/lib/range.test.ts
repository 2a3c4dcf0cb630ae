import { describe, expect, it } from 'vitest';
import { readRange, resolveRange, SERVICE_PRESETS } from './range.ts';

describe('the time range in the URL', () => {
  it('reads presets, custom ranges, and falls back to 1 h on anything else', () => {
    expect(readRange('?id=h&range=6h')).toEqual({ kind: 'preset', preset: '6h' });
    expect(readRange('?from=1000&to=5000&range=6h')).toEqual({ kind: 'custom', from: 1000, to: 5000 });
    expect(readRange('?range=2y')).toEqual({ kind: 'preset', preset: '1h' });
    expect(readRange('?from=5000&to=1000')).toEqual({ kind: 'preset', preset: '1h' });
    expect(readRange('?from=abc&to=5000')).toEqual({ kind: 'preset', preset: '1h' });
    expect(readRange('?range=constructor')).toEqual({ kind: 'preset', preset: '1h' });
  });

  it('offers the short ranges only where asked (the service page), with its own default', () => {
    expect(readRange('?range=5m')).toEqual({ kind: 'preset', preset: '1h' });
    expect(readRange('?range=5m', SERVICE_PRESETS, '15m')).toEqual({ kind: 'preset', preset: '5m' });
    expect(readRange('', SERVICE_PRESETS, '15m')).toEqual({ kind: 'preset', preset: '15m' });
    expect(resolveRange({ kind: 'preset', preset: '15m' }, 10_000_000)).toEqual({ from: 10_000_000 - 900_000, to: 10_000_000, live: true });
  });

  it('slides a preset with the clock and takes live samples; a custom range is fixed', () => {
    expect(resolveRange({ kind: 'preset', preset: '24h' }, 100_000_000)).toEqual({ from: 100_000_000 - 86_400_000, to: 100_000_000, live: true });
    expect(resolveRange({ kind: 'custom', from: 1, to: 2 }, 100)).toEqual({ from: 1, to: 2, live: false });
  });
});
