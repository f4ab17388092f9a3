/**
 * AMF0 data model (Adobe "Action Message Format -- AMF 0", 2006, §2).
 *
 * | marker | type         | JS value                                   |
 * |--------|--------------|--------------------------------------------|
 * | 0x00   | Number       | number (IEEE 754 double, big-endian)       |
 * | 0x01   | Boolean      | boolean                                    |
 * | 0x02   | String       | string (u16 length, UTF-8)                 |
 * | 0x03   | Object       | Amf0Object (plain object)                  |
 * | 0x05   | Null         | null                                       |
 * | 0x06   | Undefined    | undefined                                  |
 * | 0x08   | ECMA Array   | Map<string, Amf0Value> (u32 count hint)    |
 * | 0x09   | Object End   | (terminates Object / ECMA Array / Typed)   |
 * | 0x0A   | Strict Array | Amf0Value[] (u32 count)                    |
 * | 0x0B   | Date         | Date (f64 ms, s16 time zone, reserved = 0) |
 * | 0x0C   | Long String  | string (u32 length)                        |
 * | 0x0D   | Unsupported  | undefined (decode only)                    |
 * | 0x0F   | XML Document | string (decode only)                       |
 * | 0x10   | Typed Object | Amf0Object (class name dropped; decode only)|
 */
export const Amf0Marker = {
  Number: 0x00,
  Boolean: 0x01,
  String: 0x02,
  Object: 0x03,
  MovieClip: 0x04,
  Null: 0x05,
  Undefined: 0x06,
  Reference: 0x07,
  EcmaArray: 0x08,
  ObjectEnd: 0x09,
  StrictArray: 0x0a,
  Date: 0x0b,
  LongString: 0x0c,
  Unsupported: 0x0d,
  RecordSet: 0x0e,
  XmlDocument: 0x0f,
  TypedObject: 0x10,
  AvmPlus: 0x11,
} as const;

export type Amf0Value =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Amf0Object
  | Amf0EcmaArray
  | Amf0Value[];

export interface Amf0Object {
  [key: string]: Amf0Value;
}

export type Amf0EcmaArray = Map<string, Amf0Value>;

export function isAmf0Object(v: Amf0Value): v is Amf0Object {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Date);
}

/** A named property of an Object or ECMA Array; undefined for anything else. */
export function amf0Property(v: Amf0Value, key: string): Amf0Value {
  if (v instanceof Map) return v.get(key);
  if (isAmf0Object(v) && Object.prototype.hasOwnProperty.call(v, key)) return v[key];
  return undefined;
}

/** Sets an own property even for "__proto__", so decoded keys can never touch a prototype. */
export function defineAmf0Property(obj: Amf0Object, key: string, value: Amf0Value): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
