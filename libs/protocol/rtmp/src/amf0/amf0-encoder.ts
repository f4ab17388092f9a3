/**
 * AMF0 encoder (AMF 0 specification, §2). byteLength() first, then writeTo() into one buffer.
 * Strings longer than 65535 UTF-8 bytes become Long Strings (§2.14); object keys must fit u16.
 */
import { Amf0Error } from './amf0-error';
import { Amf0Marker, Amf0Value } from './amf0-types';

const utf8 = new TextEncoder();

export function utf8ByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3; // includes lone surrogates, which TextEncoder writes as U+FFFD (3 bytes)
  }
  return n;
}

function entriesOf(v: object): [string, Amf0Value][] {
  return v instanceof Map ? [...(v as Map<string, Amf0Value>).entries()] : Object.entries(v as Record<string, Amf0Value>);
}

function keyLength(key: string): number {
  const n = utf8ByteLength(key);
  if (n > 0xffff) throw new Amf0Error(`property name of ${n} bytes exceeds 65535`, 0);
  return 2 + n;
}

export function amf0ByteLength(v: Amf0Value): number {
  if (v === null || v === undefined) return 1;
  switch (typeof v) {
    case 'number':
      return 9;
    case 'boolean':
      return 2;
    case 'string': {
      const n = utf8ByteLength(v);
      return (n > 0xffff ? 5 : 3) + n;
    }
  }
  if (v instanceof Date) return 11;
  if (Array.isArray(v)) return v.reduce<number>((n, e) => n + amf0ByteLength(e), 5);
  let n = v instanceof Map ? 5 : 1;
  for (const [k, e] of entriesOf(v)) n += keyLength(k) + amf0ByteLength(e);
  return n + 3;
}

export class Amf0Encoder {
  private readonly view: DataView;
  private o: number;

  constructor(private readonly out: Uint8Array, offset = 0) {
    this.view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    this.o = offset;
  }

  get offset(): number {
    return this.o;
  }

  write(v: Amf0Value): this {
    if (v === null) return this.u8(Amf0Marker.Null);
    if (v === undefined) return this.u8(Amf0Marker.Undefined);
    switch (typeof v) {
      case 'number':
        this.u8(Amf0Marker.Number);
        this.view.setFloat64(this.o, v);
        this.o += 8;
        return this;
      case 'boolean':
        return this.u8(Amf0Marker.Boolean).u8(v ? 1 : 0);
      case 'string': {
        const n = utf8ByteLength(v);
        if (n > 0xffff) {
          this.u8(Amf0Marker.LongString);
          this.view.setUint32(this.o, n);
          this.o += 4;
        } else {
          this.u8(Amf0Marker.String).u16(n);
        }
        return this.text(v, n);
      }
    }
    if (v instanceof Date) {
      this.u8(Amf0Marker.Date);
      this.view.setFloat64(this.o, v.getTime());
      this.o += 8;
      return this.u16(0);
    }
    if (Array.isArray(v)) {
      this.u8(Amf0Marker.StrictArray);
      this.view.setUint32(this.o, v.length);
      this.o += 4;
      for (const e of v) this.write(e);
      return this;
    }
    const entries = entriesOf(v);
    if (v instanceof Map) {
      this.u8(Amf0Marker.EcmaArray);
      this.view.setUint32(this.o, entries.length);
      this.o += 4;
    } else {
      this.u8(Amf0Marker.Object);
    }
    for (const [k, e] of entries) {
      const n = utf8ByteLength(k);
      this.u16(n).text(k, n).write(e);
    }
    return this.u16(0).u8(Amf0Marker.ObjectEnd);
  }

  private u8(b: number): this {
    this.view.setUint8(this.o++, b);
    return this;
  }

  private u16(n: number): this {
    this.view.setUint16(this.o, n);
    this.o += 2;
    return this;
  }

  private text(s: string, n: number): this {
    utf8.encodeInto(s, this.out.subarray(this.o, this.o + n));
    this.o += n;
    return this;
  }
}

/** Encodes values back to back into one new buffer. */
export function encodeAmf0(...values: Amf0Value[]): Uint8Array {
  const out = new Uint8Array(values.reduce<number>((n, v) => n + amf0ByteLength(v), 0));
  const enc = new Amf0Encoder(out);
  for (const v of values) enc.write(v);
  return out;
}
