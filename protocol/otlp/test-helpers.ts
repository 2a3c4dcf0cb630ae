// Shared by the OTLP decoder tests: converting what the SDK holds into what the decoders should
// return, independently of either decoder.
import type { AnyValue, Attributes, HrTime } from '@opentelemetry/api';
import { expect } from 'vitest';
import { OtlpDecodeError } from './index.ts';
import type { Attrs, AttrValue } from './types.ts';

export const ns = (t: HrTime): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

/** The mapping's rules applied to an SDK value (undefined: the value is skipped). */
export function expectedValue(v: AnyValue | undefined): AttrValue | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return Number.isInteger(v) && !Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof v === 'string' || typeof v === 'boolean' || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(expectedValue).filter((x) => x !== undefined);
  const out: Record<string, AttrValue> = {};
  for (const [k, x] of Object.entries(v)) {
    const e = expectedValue(x);
    if (e !== undefined) out[k] = e;
  }
  return out;
}

export function expectedAttrs(a: Attributes | Record<string, AnyValue> | undefined): Attrs {
  return (expectedValue((a ?? {}) as AnyValue) ?? {}) as Attrs;
}

/** Runs fn and returns the OtlpDecodeError it must throw (failing the test otherwise). */
export function decodeError(fn: () => unknown): OtlpDecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OtlpDecodeError);
    return e as OtlpDecodeError;
  }
  throw new Error('expected an OtlpDecodeError, but decoding succeeded');
}

export const utf8 = (s: string) => new TextEncoder().encode(s);

/** A tiny protobuf writer for hand-made messages: tag/varint/bytes helpers. */
export const pb = {
  varint(v: number | bigint): number[] {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (x >= 0x80n) {
      out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.push(Number(x));
    return out;
  },
  tag(field: number, wire: number): number[] {
    return pb.varint((field << 3) | wire);
  },
  ld(field: number, bytes: ArrayLike<number>): number[] {
    return [...pb.tag(field, 2), ...pb.varint(bytes.length), ...Array.from(bytes)];
  },
  str(field: number, s: string): number[] {
    return pb.ld(field, utf8(s));
  },
  fixed64(field: number, v: bigint): number[] {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    return [...pb.tag(field, 1), ...b];
  },
  double(field: number, v: number): number[] {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return [...pb.tag(field, 1), ...b];
  },
  fixed32(field: number, v: number): number[] {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    return [...pb.tag(field, 5), ...b];
  },
  hex(h: string): number[] {
    return h.match(/../g)!.map((x) => parseInt(x, 16));
  },
};
