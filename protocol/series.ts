// A series is one metric with one set of labels. Its key is canonical (labels sorted) so that
// the object's memory, the raw tier and the Postgres rollups all agree on identity.

export type Labels = Record<string, string>;

export function labelsKey(labels: Labels | undefined): string {
  if (!labels) return '';
  let only: string | undefined;
  let n = 0;
  for (const k in labels) {
    only = k;
    if (++n > 1) break;
  }
  if (n === 0) return '';
  // Catalog metrics carry one label; skip the sort and array for them (hot path of every sample).
  if (n === 1) return `${only}=${JSON.stringify(labels[only!])}`;
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',');
}

export function seriesKey(metric: string, labels?: Labels): string {
  const lk = labelsKey(labels);
  return lk ? `${metric}{${lk}}` : metric;
}

export function parseLabelsKey(key: string): Labels {
  const out: Labels = {};
  if (!key) return out;
  // Values are JSON strings, so a comma or '=' inside a value is quoted. Keys are label names
  // ([A-Za-z_][A-Za-z0-9_]*) or OpenTelemetry attribute keys (also '.', '-', '/').
  const re = /([A-Za-z_][A-Za-z0-9_./-]*)=("(?:[^"\\]|\\.)*")/g;
  for (const m of key.matchAll(re)) out[m[1]!] = JSON.parse(m[2]!) as string;
  return out;
}
