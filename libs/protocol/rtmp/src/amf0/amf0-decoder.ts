/**
 * AMF0 decoder (AMF 0 specification, §2.2-§2.18). Reads values from a byte view without
 * mutating it; strings are decoded (copied), nothing else is allocated per byte.
 */
import { Amf0Error } from './amf0-error';
import { Amf0Marker, Amf0Object, Amf0Value, defineAmf0Property } from './amf0-types';

export interface Amf0DecoderOptions {
  /** Deepest nesting of objects/arrays. Default 32. */
  maxDepth?: number;
  /** Values decoded in total (all levels). Default 65536. */
  maxValues?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export class Amf0Decoder {
  private offsetValue: number;
  private readonly view: DataView;
  private readonly maxDepth: number;
  private readonly maxValues: number;
  private values = 0;

  constructor(private readonly buf: Uint8Array, offset = 0, options: Amf0DecoderOptions = {}) {
    this.offsetValue = offset;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.maxDepth = options.maxDepth ?? 32;
    this.maxValues = options.maxValues ?? 65536;
  }

  get offset(): number {
    return this.offsetValue;
  }

  get done(): boolean {
    return this.offsetValue >= this.buf.byteLength;
  }

  /** Decodes every value up to the end of the buffer. */
  readAll(): Amf0Value[] {
    const out: Amf0Value[] = [];
    while (!this.done) out.push(this.readValue());
    return out;
  }

  readValue(depth = 0): Amf0Value {
    if (++this.values > this.maxValues) throw new Amf0Error(`more than ${this.maxValues} values`, this.offsetValue);
    const at = this.offsetValue;
    const marker = this.u8();
    switch (marker) {
      case Amf0Marker.Number:
        return this.f64();
      case Amf0Marker.Boolean:
        return this.u8() !== 0;
      case Amf0Marker.String:
        return this.utf8(this.u16());
      case Amf0Marker.LongString:
      case Amf0Marker.XmlDocument:
        return this.utf8(this.u32());
      case Amf0Marker.Null:
        return null;
      case Amf0Marker.Undefined:
      case Amf0Marker.Unsupported:
        return undefined;
      case Amf0Marker.Object:
        return this.properties(depth);
      case Amf0Marker.TypedObject:
        this.utf8(this.u16());
        return this.properties(depth);
      case Amf0Marker.EcmaArray: {
        // §2.10: the count is only a hint; entries run to the object-end marker.
        this.u32();
        return new Map(Object.entries(this.properties(depth)));
      }
      case Amf0Marker.StrictArray:
        return this.strictArray(depth);
      case Amf0Marker.Date: {
        const ms = this.f64();
        this.u16();
        return new Date(ms);
      }
      default:
        throw new Amf0Error(`unsupported marker 0x${marker.toString(16).padStart(2, '0')}`, at);
    }
  }

  private properties(depth: number): Amf0Object {
    if (depth + 1 > this.maxDepth) throw new Amf0Error(`nesting deeper than ${this.maxDepth}`, this.offsetValue);
    const obj: Amf0Object = {};
    for (;;) {
      const key = this.utf8(this.u16());
      if (key === '') {
        // §2.5: an empty key followed by the object-end marker closes the object.
        const at = this.offsetValue;
        if (this.u8() !== Amf0Marker.ObjectEnd) throw new Amf0Error('empty property name without object-end marker', at);
        return obj;
      }
      defineAmf0Property(obj, key, this.readValue(depth + 1));
    }
  }

  private strictArray(depth: number): Amf0Value[] {
    if (depth + 1 > this.maxDepth) throw new Amf0Error(`nesting deeper than ${this.maxDepth}`, this.offsetValue);
    const count = this.u32();
    // Every element takes at least one byte, so a larger count is a lie; never preallocate it.
    if (count > this.buf.byteLength - this.offsetValue) {
      throw new Amf0Error(`strict array of ${count} elements longer than the input`, this.offsetValue);
    }
    const out: Amf0Value[] = [];
    for (let i = 0; i < count; i++) out.push(this.readValue(depth + 1));
    return out;
  }

  private need(n: number): number {
    const at = this.offsetValue;
    if (this.buf.byteLength - at < n) throw new Amf0Error(`truncated: need ${n} bytes, have ${this.buf.byteLength - at}`, at);
    this.offsetValue += n;
    return at;
  }

  private u8(): number {
    return this.view.getUint8(this.need(1));
  }

  private u16(): number {
    return this.view.getUint16(this.need(2));
  }

  private u32(): number {
    return this.view.getUint32(this.need(4));
  }

  private f64(): number {
    return this.view.getFloat64(this.need(8));
  }

  private utf8(length: number): string {
    const at = this.need(length);
    return utf8.decode(this.buf.subarray(at, at + length));
  }
}

/** Decodes all values in `buf`. Throws Amf0Error. */
export function decodeAmf0(buf: Uint8Array, options?: Amf0DecoderOptions): Amf0Value[] {
  return new Amf0Decoder(buf, 0, options).readAll();
}
