// The one error the decoders throw. `path` names where (resourceSpans[0].scopeSpans[1].spans[3]
// .traceId), `reason` what; the message joins both so a 400 body can show it as is.
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
  path: string;
  reason: string;
  constructor(reason: string, path = '') {
    super(path ? `${path}: ${reason}` : reason);
    this.reason = reason;
    this.path = path;
  }
}

// Prefixes a path segment ("spans[3]", "traceId", '["http.method"]') to an error on its way out
// of a nested decoder. Only OtlpDecodeError is annotated: anything else is a bug and stays loud.
export function within(e: unknown, segment: string): unknown {
  if (!segment || !(e instanceof OtlpDecodeError)) return e;
  e.path = !e.path ? segment : e.path.startsWith('[') ? segment + e.path : `${segment}.${e.path}`;
  e.message = `${e.path}: ${e.reason}`;
  return e;
}

// Attribute keys come from the request: "__proto__" must become an own property, never the
// prototype (plain assignment would set it).
export function setKey<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

// AnyValue nests (arrays, kvlists); deeper input is refused before it can exhaust the stack.
export const MAX_DEPTH = 32;

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

// Char codes of each byte's two hex digits, for the ids' fast path below.
const HI = new Uint8Array(256);
const LO = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HI[i] = HEX[i]!.charCodeAt(0);
  LO[i] = HEX[i]!.charCodeAt(1);
}

/** Lowercase hex of bytes[start, end). */
export function toHex(bytes: Uint8Array, start: number, end: number): string {
  // Span ids (8 bytes) and trace ids (16) as one flat string: appending two digits at a time
  // builds a rope that each later read (validation, Map lookups) must flatten; about half the time.
  if (end - start === 8) return hex8(bytes, start);
  if (end - start === 16) return hex16(bytes, start); // not hex8 + hex8: that concatenation is a rope again
  let s = '';
  for (let i = start; i < end; i++) s += HEX[bytes[i]!];
  return s;
}

function hex16(b: Uint8Array, i: number): string {
  return String.fromCharCode(
    HI[b[i]!]!, LO[b[i]!]!, HI[b[i + 1]!]!, LO[b[i + 1]!]!, HI[b[i + 2]!]!, LO[b[i + 2]!]!, HI[b[i + 3]!]!, LO[b[i + 3]!]!,
    HI[b[i + 4]!]!, LO[b[i + 4]!]!, HI[b[i + 5]!]!, LO[b[i + 5]!]!, HI[b[i + 6]!]!, LO[b[i + 6]!]!, HI[b[i + 7]!]!, LO[b[i + 7]!]!,
    HI[b[i + 8]!]!, LO[b[i + 8]!]!, HI[b[i + 9]!]!, LO[b[i + 9]!]!, HI[b[i + 10]!]!, LO[b[i + 10]!]!, HI[b[i + 11]!]!, LO[b[i + 11]!]!,
    HI[b[i + 12]!]!, LO[b[i + 12]!]!, HI[b[i + 13]!]!, LO[b[i + 13]!]!, HI[b[i + 14]!]!, LO[b[i + 14]!]!, HI[b[i + 15]!]!, LO[b[i + 15]!]!,
  );
}

function hex8(b: Uint8Array, i: number): string {
  return String.fromCharCode(
    HI[b[i]!]!, LO[b[i]!]!, HI[b[i + 1]!]!, LO[b[i + 1]!]!, HI[b[i + 2]!]!, LO[b[i + 2]!]!, HI[b[i + 3]!]!, LO[b[i + 3]!]!,
    HI[b[i + 4]!]!, LO[b[i + 4]!]!, HI[b[i + 5]!]!, LO[b[i + 5]!]!, HI[b[i + 6]!]!, LO[b[i + 6]!]!, HI[b[i + 7]!]!, LO[b[i + 7]!]!,
  );
}

/** True when s is n hex digits of which at least one is non-zero (lowercase only). */
export function isHexId(s: string, n: number): boolean {
  if (s.length !== n) return false;
  let nonZero = false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 48) continue;
    if ((c > 48 && c <= 57) || (c >= 97 && c <= 102)) nonZero = true;
    else return false;
  }
  return nonZero;
}

/** True when s is non-empty and only '0' characters (an all-zero id). */
export function isZeroId(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 48) return false;
  return true;
}
