/**
 * Just enough AMF0 (AMF0 spec §2) to read `onMetaData` from an FLV script tag: which tracks the
 * publisher announces. Bounded; anything unexpected ends the scan without throwing.
 */
export interface FlvMetadata {
  hasVideo?: boolean;
  hasAudio?: boolean;
}

const MAX_PROPERTIES = 256;

class Amf0Scanner {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  string(): string | undefined {
    if (this.pos + 2 > this.buf.byteLength) return undefined;
    const len = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    if (this.pos + len > this.buf.byteLength) return undefined;
    const s = new TextDecoder().decode(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  /** Reads a value; returns its JS form for scalars, `null` for anything skipped, undefined at a dead end. */
  value(depth = 0): unknown {
    if (this.pos >= this.buf.byteLength || depth > 4) return undefined;
    const marker = this.buf[this.pos++];
    switch (marker) {
      case 0: {
        if (this.pos + 8 > this.buf.byteLength) return undefined;
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0);
        this.pos += 8;
        return v;
      }
      case 1:
        return this.pos < this.buf.byteLength ? this.buf[this.pos++] !== 0 : undefined;
      case 2:
        return this.string();
      case 5:
      case 6:
        return null;
      case 3:
      case 8:
        if (marker === 8) this.pos += 4;
        return this.object(depth);
      default:
        return undefined;
    }
  }

  object(depth: number): Map<string, unknown> | undefined {
    const out = new Map<string, unknown>();
    for (let i = 0; i < MAX_PROPERTIES; i++) {
      const key = this.string();
      if (key === undefined) return out;
      if (key === '' && this.buf[this.pos] === 9) {
        this.pos++;
        return out;
      }
      const v = this.value(depth + 1);
      if (v === undefined) return out;
      out.set(key, v);
    }
    return out;
  }
}

/** Reads `[@setDataFrame] onMetaData {…}`; undefined when the tag is some other script data. */
export function parseFlvMetadata(data: Uint8Array): FlvMetadata | undefined {
  const s = new Amf0Scanner(data);
  let name = s.value();
  if (name === '@setDataFrame') name = s.value();
  if (name !== 'onMetaData') return undefined;
  const props = s.value();
  if (!(props instanceof Map)) return undefined;
  const has = (k: string): boolean => props.has(k) && props.get(k) !== null;
  const meta: FlvMetadata = {};
  if (has('videocodecid') || has('width')) meta.hasVideo = true;
  if (has('audiocodecid') || has('audiosamplerate')) meta.hasAudio = true;
  if (typeof props.get('hasVideo') === 'boolean') meta.hasVideo = props.get('hasVideo') === true;
  if (typeof props.get('hasAudio') === 'boolean') meta.hasAudio = props.get('hasAudio') === true;
  return meta;
}
