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

/** Lowercase hex of bytes[start, end). */
export function toHex(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[bytes[i]!];
  return s;
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
