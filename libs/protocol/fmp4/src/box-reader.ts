/**
 * Reads an ISO BMFF box tree (ISO/IEC 14496-12 §4.2): sizes, types, bodies as views. Used to
 * check what the writer produced and to inspect segments; it never mutates its input.
 * Limits: depth ≤ 16, boxes ≤ 100000; 64-bit sizes are read (size == 1), size 0 means "to the end".
 */
import { BOX_HEADER_SIZE } from './box';

export interface ParsedBox {
  type: string;
  /** Offset of the box header in the input. */
  offset: number;
  size: number;
  /** Body after the (possibly 64-bit) header; for full boxes still including version+flags. */
  body: Uint8Array;
  children: ParsedBox[];
}

export class BoxParseError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`fmp4 box at ${offset}: ${message}`);
    this.name = 'BoxParseError';
  }
}

/** Boxes whose body is only child boxes. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'dinf', 'stbl', 'mvex', 'moof', 'traf', 'edts', 'udta']);
/** Boxes with a fixed-size prefix before their children. */
const PREFIXED: Record<string, number> = { stsd: 8, dref: 8, avc1: 78, hev1: 78, hvc1: 78, avc3: 78, mp4a: 28 };

const MAX_DEPTH = 16;
const MAX_BOXES = 100_000;

export function readBoxes(buf: Uint8Array): ParsedBox[] {
  const counter = { n: 0 };
  return readLevel(buf, 0, buf.byteLength, 0, counter);
}

function readLevel(buf: Uint8Array, start: number, end: number, depth: number, counter: { n: number }): ParsedBox[] {
  if (depth > MAX_DEPTH) throw new BoxParseError(`nesting deeper than ${MAX_DEPTH}`, start);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: ParsedBox[] = [];
  let pos = start;
  while (pos < end) {
    if (++counter.n > MAX_BOXES) throw new BoxParseError(`more than ${MAX_BOXES} boxes`, pos);
    if (pos + BOX_HEADER_SIZE > end) throw new BoxParseError('truncated box header', pos);
    let size = view.getUint32(pos);
    const type = String.fromCharCode(buf[pos + 4], buf[pos + 5], buf[pos + 6], buf[pos + 7]);
    let header = BOX_HEADER_SIZE;
    if (size === 1) {
      if (pos + 16 > end) throw new BoxParseError('truncated 64-bit size', pos);
      size = view.getUint32(pos + 8) * 0x100000000 + view.getUint32(pos + 12);
      header = 16;
    } else if (size === 0) {
      size = end - pos;
    }
    if (size < header || pos + size > end) throw new BoxParseError(`box ${JSON.stringify(type)} of ${size} bytes overruns its parent`, pos);
    const body = buf.subarray(pos + header, pos + size);
    let children: ParsedBox[] = [];
    if (CONTAINERS.has(type)) children = readLevel(buf, pos + header, pos + size, depth + 1, counter);
    else if (PREFIXED[type] !== undefined && body.byteLength >= PREFIXED[type]) {
      children = readLevel(buf, pos + header + PREFIXED[type], pos + size, depth + 1, counter);
    }
    out.push({ type, offset: pos, size, body, children });
    pos += size;
  }
  return out;
}

/** The first box along a path of types, e.g. `findBox(boxes, 'moov', 'trak', 'tkhd')`. */
export function findBox(boxes: readonly ParsedBox[], ...path: string[]): ParsedBox | undefined {
  let level = boxes;
  let found: ParsedBox | undefined;
  for (const type of path) {
    found = level.find((b) => b.type === type);
    if (!found) return undefined;
    level = found.children;
  }
  return found;
}
