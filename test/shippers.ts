// What log shippers' HTTP outputs send for a configuration (docs/logs.md): Fluent Bit's `http`
// output, Vector's `http` sink and Logstash's `http` output, rebuilt from their documented
// behaviour (no shipper binary is installable on these machines: neither `fluent-bit` nor
// `vector` is in the Debian archive). Plain code: config text in, request out.
import { gzipSync } from 'node:zlib';

export interface ShipperRequest {
  /** Path and query of the configured URL. */
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** The fenced blocks of `lang` on a Markdown page. */
export const fences = (md: string, lang: string) => [...md.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]!);

const env = (s: string, vars: Record<string, string>) =>
  s.replace(/\$\{(\w+)\}/g, (_, n: string) => {
    if (!(n in vars)) throw new Error(`the config uses \${${n}}, which the test does not fill in`);
    return vars[n]!;
  });

const encoder = new TextEncoder();

// ---- Fluent Bit --------------------------------------------------------------------------

/** An [OUTPUT] section of a classic Fluent Bit config: keys lower-cased, `Header` repeated. */
export function parseFluentBit(ini: string): { props: Record<string, string>; headers: [string, string][] } {
  const props: Record<string, string> = {};
  const headers: [string, string][] = [];
  for (const line of ini.split('\n')) {
    const m = /^\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    if (key === 'header') {
      const [name, ...rest] = m[2]!.split(/\s+/);
      headers.push([name!, rest.join(' ')]);
    } else props[key] = m[2]!;
  }
  return { props, headers };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A record's time as Fluent Bit's json_date_format writes it (flb_pack.c). */
export function fluentBitDate(us: number, format: string): unknown {
  const d = new Date(Math.floor(us / 1000));
  const frac = pad(((us % 1_000_000) + 1_000_000) % 1_000_000, 6);
  const ymd = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const hms = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  switch (format.toLowerCase()) {
    case 'double':
      return Number(`${Math.floor(us / 1e6)}.${frac}`);
    case 'epoch':
      return Math.floor(us / 1e6);
    case 'epoch_ms':
      return Math.floor(us / 1e3);
    case 'iso8601':
      return `${ymd}T${hms}.${frac}Z`;
    case 'java_sql_timestamp':
      return `${ymd} ${hms}.${frac}`;
    default:
      throw new Error(`json_date_format ${format} is not one Fluent Bit has`);
  }
}

/**
 * The request Fluent Bit's http output makes for `records` (time in µs, record as the pipeline
 * holds it): format json_lines puts the date key first in each object and ends each with "\n";
 * format json is one array.
 */
export function fluentBitRequest(ini: string, records: { us: number; record: Record<string, unknown> }[], vars: Record<string, string>): ShipperRequest {
  const { props, headers } = parseFluentBit(ini);
  if (props.name !== 'http') throw new Error(`not an http output: ${props.name}`);
  const format = (props.format ?? 'msgpack').toLowerCase();
  const dateKey = props.json_date_key ?? 'date';
  const dateFormat = props.json_date_format ?? 'double';
  const objs = records.map((r) => (dateKey.toLowerCase() === 'false' ? { ...r.record } : { [dateKey]: fluentBitDate(r.us, dateFormat), ...r.record }));
  let text: string;
  let type: string;
  if (format === 'json_lines') {
    text = objs.map((o) => `${JSON.stringify(o)}\n`).join('');
    type = 'application/x-ndjson';
  } else if (format === 'json') {
    text = JSON.stringify(objs);
    type = 'application/json';
  } else throw new Error(`format ${format} is not JSON`);
  const out: Record<string, string> = { 'content-type': type, 'user-agent': 'Fluent-Bit' };
  for (const [name, value] of headers) out[name.toLowerCase()] = env(value, vars);
  let body = encoder.encode(text);
  if ((props.compress ?? '').toLowerCase() === 'gzip') {
    body = gzipSync(body);
    out['content-encoding'] = 'gzip';
  }
  return { path: props.uri ?? '/', headers: out, body };
}

// ---- Vector ------------------------------------------------------------------------------

/** The `key = value` lines of one TOML table (dotted keys as written). */
export function parseTomlTable(toml: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of toml.split('\n')) {
    const m = /^([\w.]+)\s*=\s*(.+?)\s*$/.exec(line);
    if (!m) continue;
    const v = m[2]!;
    out[m[1]!] = v.startsWith('"') ? (JSON.parse(v) as string) : v;
  }
  return out;
}

/** Vector's http sink: codec json, framing newline_delimited (each event and "\n"), else an array. */
export function vectorRequest(toml: string, events: Record<string, unknown>[], vars: Record<string, string>): ShipperRequest {
  const c = parseTomlTable(toml);
  if (c.type !== 'http') throw new Error(`not an http sink: ${c.type}`);
  if (c['encoding.codec'] !== 'json') throw new Error(`codec ${c['encoding.codec']}`);
  const ndjson = c['framing.method'] === 'newline_delimited';
  const text = ndjson ? events.map((e) => `${JSON.stringify(e)}\n`).join('') : JSON.stringify(events);
  const headers: Record<string, string> = { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' };
  for (const [k, v] of Object.entries(c)) if (k.startsWith('request.headers.')) headers[k.slice(16).toLowerCase()] = env(v, vars);
  let body = encoder.encode(text);
  if (c.compression === 'gzip') {
    body = gzipSync(body);
    headers['content-encoding'] = 'gzip';
  }
  const url = new URL(c.uri!);
  return { path: url.pathname + url.search, headers, body };
}

// ---- Logstash ----------------------------------------------------------------------------

/** Logstash's http output: format json_batch is one JSON array of the events. */
export function logstashRequest(conf: string, events: Record<string, unknown>[], vars: Record<string, string>): ShipperRequest {
  const setting = (k: string) => new RegExp(`\\b${k}\\s*=>\\s*"([^"]*)"`).exec(conf)?.[1];
  if (setting('format') !== 'json_batch') throw new Error(`format ${setting('format')}`);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const block = /headers\s*=>\s*\{(.*)\}\s*$/m.exec(conf)?.[1] ?? ''; // one line; values may hold ${…}
  for (const m of block.matchAll(/"([^"]+)"\s*=>\s*"([^"]*)"/g)) headers[m[1]!.toLowerCase()] = env(m[2]!, vars);
  let body = encoder.encode(JSON.stringify(events));
  if (/http_compression\s*=>\s*true/.test(conf)) {
    body = gzipSync(body);
    headers['content-encoding'] = 'gzip';
  }
  const url = new URL(setting('url')!);
  return { path: url.pathname + url.search, headers, body };
}
