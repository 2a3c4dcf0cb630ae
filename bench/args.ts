// Tiny flag parser for the benchmarks: --name value, with defaults and a clear error.
export function parseArgs<T extends Record<string, number | string>>(argv: string[], defaults: T): T {
  const out: Record<string, number | string> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const key = a.slice(2);
    if (!(key in defaults)) throw new Error(`unknown flag --${key}; known: ${Object.keys(defaults).map((k) => `--${k}`).join(', ')}`);
    const val = argv[++i];
    if (val === undefined) throw new Error(`--${key} needs a value`);
    if (typeof defaults[key] === 'number') {
      const n = Number(val);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${key} must be a positive number, got "${val}"`);
      out[key] = n;
    } else out[key] = val;
  }
  return out as T;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
