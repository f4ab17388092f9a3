/**
 * FLV file body (FLV spec v10.1 Annex E.2-E.3): 9-byte header ("FLV", version, flags,
 * DataOffset), then PreviousTagSize0 and (11-byte tag header, data, PreviousTagSize)*.
 *
 *   tag header: Reserved(2) Filter(1) TagType(5) | DataSize UI24 | Timestamp UI24 |
 *               TimestampExtended UI8 (upper 8 bits) | StreamID UI24 (0)
 *
 * Tags of other types are skipped; a truncated last tag ends the read. Data are views.
 */
import { FlvError } from './flv-error';
import { FlvTagType, flvTagTypeOf } from './tag-type';

export interface FlvFileTag {
  tagType: FlvTagType;
  /** FLV timestamp (dts), ms. */
  timestamp: number;
  data: Uint8Array;
}

const FILE_HEADER_MIN = 9;
const TAG_HEADER_SIZE = 11;

export function parseFlvFile(buf: Uint8Array, maxTags = 1 << 20): FlvFileTag[] {
  if (buf.byteLength < FILE_HEADER_MIN + 4 || buf[0] !== 0x46 || buf[1] !== 0x4c || buf[2] !== 0x56) throw new FlvError('not an FLV file');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = view.getUint32(5) + 4;
  const tags: FlvFileTag[] = [];
  while (pos + TAG_HEADER_SIZE <= buf.byteLength) {
    if (tags.length >= maxTags) throw new FlvError(`more than ${maxTags} tags`);
    const size = (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3];
    if (pos + TAG_HEADER_SIZE + size > buf.byteLength) break;
    const timestamp = ((buf[pos + 7] << 24) | (buf[pos + 4] << 16) | (buf[pos + 5] << 8) | buf[pos + 6]) >>> 0;
    const tagType = flvTagTypeOf(buf[pos] & 0x1f);
    if (tagType !== undefined) tags.push({ tagType, timestamp, data: buf.subarray(pos + TAG_HEADER_SIZE, pos + TAG_HEADER_SIZE + size) });
    pos += TAG_HEADER_SIZE + size + 4;
  }
  return tags;
}
