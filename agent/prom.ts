// A small parser for the Prometheus text exposition format (version 0.0.4), and the mapping of
// its samples onto the wire's custom metrics: `custom.<name>`, at most 8 labels per value.
import { LIMITS } from '../protocol/index.ts';
import type { LabelledValue } from '../protocol/index.ts';
import type { Metrics } from './types.ts';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParseResult {
  samples: PromSample[];
  /** `# TYPE` lines: metric family → counter, gauge, histogram, summary, untyped. */
  types: Map<string, string>;
  /** Lines that could not be parsed (1-based line number and why); the rest of the text still counts. */
  errors: { line: number; error: string }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Go's ParseFloat spellings that the format allows besides plain numbers. */
function parseValue(s: string): number {
  if (/^[+-]?inf$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^0x[0-9a-f]+$/i.test(s)) throw new Error(`bad value "${s}"`);
  return Number(s);
}

/** Parses `{a="x",b="y\"z"}` at `text[i] === '{'`; returns the labels and the index after `}`. */
function parseLabels(text: string, i: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '}') return [labels, i + 1];
    const m = LABEL.exec(text.slice(i));
    if (!m) throw new Error('bad label name');
    const key = m[0];
    i += key.length;
    while (text[i] === ' ') i++;
    if (text[i] !== '=' || text[i + 1] !== '"') throw new Error(`expected ="…" after label ${key}`);
    i += 2;
    let v = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error('unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const n = text[i + 1];
        v += n === 'n' ? '\n' : n === '"' ? '"' : n === '\\' ? '\\' : `\\${n ?? ''}`;
        i += 2;
      } else {
        v += c;
        i++;
      }
    }
    labels[key] = v;
    i++;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error('expected , or } after a label');
  }
}

export function parsePrometheus(text: string): ParseResult {
  const out: ParseResult = { samples: [], types: new Map(), errors: [] };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const t = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (t) out.types.set(t[1]!, t[2]!.toLowerCase());
      continue; // HELP and plain comments
    }
    try {
      const m = NAME.exec(line);
      if (!m) throw new Error('bad metric name');
      let i = m[0].length;
      let labels: Record<string, string> = {};
      if (line[i] === '{') [labels, i] = parseLabels(line, i);
      // value, then an optional timestamp that is ignored: the agent stamps the sample itself.
      const rest = line.slice(i).trim().split(/\s+/);
      if (!rest[0] || rest.length > 2) throw new Error('expected a value and an optional timestamp');
      out.samples.push({ name: m[0], labels, value: parseValue(rest[0]) });
    } catch (e) {
      out.errors.push({ line: n + 1, error: (e as Error).message });
    }
  }
  return out;
}

const MAX_NAME = 150;
const MAX_LABEL_VALUE = 256;

export interface ToMetricsResult {
  metrics: Metrics;
  /** Series left out: non-finite values, too many labels, over-long names, duplicates, over the cap. */
  skipped: number;
}

/**
 * Prometheus samples → `custom.<name>` metrics. Values are forwarded as they are (a counter stays
 * cumulative). A series the wire would refuse is skipped rather than bent, so two series never merge.
 */
export function toCustomMetrics(samples: PromSample[], maxSeries: number): ToMetricsResult {
  const metrics: Metrics = {};
  const seen = new Set<string>();
  let skipped = 0;
  let count = 0;
  for (const s of samples) {
    const name = `custom.${s.name}`;
    const keys = Object.keys(s.labels);
    if (
      !Number.isFinite(s.value) ||
      s.name.length > MAX_NAME ||
      keys.length > LIMITS.maxLabelsPerValue ||
      keys.some((k) => k.length > 64 || s.labels[k]!.length > MAX_LABEL_VALUE) ||
      count >= maxSeries
    ) {
      skipped++;
      continue;
    }
    const id = `${name}\u0000${JSON.stringify(keys.sort().map((k) => [k, s.labels[k]]))}`;
    if (seen.has(id)) {
      skipped++;
      continue;
    }
    seen.add(id);
    count++;
    const prev = metrics[name];
    if (keys.length === 0 && prev === undefined) {
      metrics[name] = s.value;
      continue;
    }
    // Once a family has labelled values, an unlabelled one joins the list with no labels.
    const list: LabelledValue[] = prev === undefined ? [] : typeof prev === 'number' ? [{ labels: {}, value: prev }] : prev;
    list.push({ labels: s.labels, value: s.value });
    metrics[name] = list;
  }
  return { metrics, skipped };
}
