import { RtspParseError } from './errors';
import { RtspHeaders } from './headers';
import { InterleavedFrame, RtspRequest, RtspResponse } from './message';

/**
 * Incremental reader of an RTSP byte stream (RFC 2326 §4, §10.12). One TCP connection carries
 * requests, responses and `$`-framed interleaved RTP/RTCP mixed together; `push` takes
 * whatever arrived and returns every complete item, keeping the rest for the next call.
 *
 * All errors are fatal: once a head is malformed the stream cannot be re-framed safely (we do
 * not know where its body ends), so the reader stays failed and the caller closes the
 * connection after answering with `error.statusCode`.
 */
export type RtspReaderEvent =
  | { type: 'request'; request: RtspRequest }
  | { type: 'response'; response: RtspResponse }
  | { type: 'interleaved'; frame: InterleavedFrame };

export interface RtspMessageReaderOptions {
  /** Largest start line + headers, bytes. Default 16 KiB. */
  maxHeadBytes?: number;
  /** Largest Content-Length accepted. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Most header fields in one message. Default 64. */
  maxHeaderCount?: number;
  /** Most items returned by one push, so one read cannot monopolize the caller. Default 4096. */
  maxEventsPerPush?: number;
}

const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;
const INTERLEAVED_HEADER_SIZE = 4;
const EMPTY = new Uint8Array(0);

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) ([A-Z]+\/\d+\.\d+)$/;
const STATUS_LINE = /^([A-Z]+\/\d+\.\d+) (\d{3})(?: (.*))?$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export class RtspMessageReader {
  private readonly maxHeadBytes: number;
  private readonly maxBodyBytes: number;
  private readonly maxHeaderCount: number;
  private readonly maxEventsPerPush: number;
  /** What was pushed and not yet consumed starts at `pos` (items advance it; no view per item). */
  private buffer: Uint8Array = EMPTY;
  private pos = 0;
  private failure: RtspParseError | undefined;

  constructor(options: RtspMessageReaderOptions = {}) {
    this.maxHeadBytes = options.maxHeadBytes ?? 16 * 1024;
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.maxHeaderCount = options.maxHeaderCount ?? 64;
    this.maxEventsPerPush = options.maxEventsPerPush ?? 4096;
  }

  /** Bytes received but not yet part of a complete item. */
  get bufferedBytes(): number {
    return this.buffer.byteLength - this.pos;
  }

  /**
   * Appends `chunk` and returns the items it completed. Never mutates `chunk`; returned views
   * point into it (or into a private copy when an item spans several chunks).
   * Throws RtspParseError; after that every call throws the same error.
   */
  push(chunk: Uint8Array): RtspReaderEvent[] {
    if (this.failure) throw this.failure;
    // A Buffer's subarray is Node's own (a FastBuffer, through JavaScript): items are views of a
    // plain Uint8Array over the same memory instead, one per push rather than one per item.
    const bytes = Buffer.isBuffer(chunk) ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : chunk;
    if (bytes.byteLength > 0) {
      this.buffer = this.bufferedBytes === 0 ? bytes : concat(this.buffer.subarray(this.pos), bytes);
      this.pos = 0;
    }
    const events: RtspReaderEvent[] = [];
    try {
      while (events.length < this.maxEventsPerPush) {
        const event = this.next();
        if (!event) break;
        events.push(event);
      }
    } catch (err) {
      this.failure = err instanceof RtspParseError ? err : new RtspParseError(String(err), 400, true);
      this.buffer = EMPTY;
      this.pos = 0;
      throw this.failure;
    }
    return events;
  }

  /**
   * Copies the bytes kept for the next push (a partial item), so the caller may reuse the
   * buffer it pushed for its next read. Items already returned stay views into it.
   * (`new Uint8Array(view)` copies; a Buffer's `slice()` would not: it is a view.)
   */
  retainCopy(): void {
    this.buffer = this.bufferedBytes > 0 ? new Uint8Array(this.buffer.subarray(this.pos)) : EMPTY;
    this.pos = 0;
  }

  /** Continues after a push that stopped at maxEventsPerPush. */
  drain(): RtspReaderEvent[] {
    return this.push(EMPTY);
  }

  private next(): RtspReaderEvent | undefined {
    const all = this.buffer;
    let start = this.pos;
    // RFC 2616 §4.1 (inherited by RTSP): ignore empty lines before a message.
    while (start < all.byteLength && (all[start] === CR || all[start] === LF)) start++;
    this.pos = start;
    if (start === all.byteLength) return undefined;
    if (all[start] === DOLLAR) return this.nextInterleaved(all, start);
    const buf = start === 0 ? all : all.subarray(start);
    if (!isTokenStart(buf[0])) {
      throw new RtspParseError(`unexpected byte 0x${buf[0].toString(16)} at the start of a message`, 400, true);
    }
    const headEnd = findHeadEnd(buf, this.maxHeadBytes);
    if (headEnd === undefined) {
      if (buf.byteLength > this.maxHeadBytes) {
        throw new RtspParseError(`message head exceeds ${this.maxHeadBytes} bytes`, 431, true);
      }
      return undefined;
    }
    const head = latin1(buf.subarray(0, headEnd.headLength));
    const { startLine, headers } = this.parseHead(head);
    const bodyLength = this.contentLength(headers);
    const total = headEnd.totalLength + bodyLength;
    if (buf.byteLength < total) return undefined;
    const body = bodyLength === 0 ? EMPTY : buf.subarray(headEnd.totalLength, total);
    this.pos = start + total;
    return buildMessage(startLine, headers, body);
  }

  /** RFC 2326 §10.12: `$`, channel, u16 length, then the packet; `at` is where the `$` is. */
  private nextInterleaved(buf: Uint8Array, at: number): RtspReaderEvent | undefined {
    if (buf.byteLength - at < INTERLEAVED_HEADER_SIZE) return undefined;
    const length = (buf[at + 2] << 8) | buf[at + 3];
    const end = at + INTERLEAVED_HEADER_SIZE + length;
    if (buf.byteLength < end) return undefined;
    this.pos = end;
    return { type: 'interleaved', frame: { channel: buf[at + 1], payload: buf.subarray(at + INTERLEAVED_HEADER_SIZE, end) } };
  }

  private parseHead(head: string): { startLine: string; headers: RtspHeaders } {
    const lines = head.split(/\r?\n/);
    const startLine = lines[0];
    const headers = new RtspHeaders();
    let name: string | undefined;
    let value = '';
    const flush = (): void => {
      if (name === undefined) return;
      if (headers.size >= this.maxHeaderCount) {
        throw new RtspParseError(`more than ${this.maxHeaderCount} header fields`, 431, true);
      }
      headers.append(name, value.trim());
    };
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      if (line.length === 0) continue;
      if (line[0] === ' ' || line[0] === '\t') {
        // RFC 2616 §2.2: a continuation line folds into the previous field.
        if (name === undefined) throw new RtspParseError('continuation line before any header', 400, true);
        value += ' ' + line.trim();
        continue;
      }
      flush();
      const colon = line.indexOf(':');
      const candidate = colon > 0 ? line.slice(0, colon).trim() : '';
      if (!HEADER_NAME.test(candidate)) {
        throw new RtspParseError(`malformed header line ${JSON.stringify(line.slice(0, 80))}`, 400, true);
      }
      name = candidate;
      value = line.slice(colon + 1);
    }
    flush();
    return { startLine, headers };
  }

  private contentLength(headers: RtspHeaders): number {
    const raw = headers.get('content-length');
    if (raw === undefined) return 0;
    if (!/^\d{1,10}$/.test(raw)) throw new RtspParseError(`invalid Content-Length ${JSON.stringify(raw.slice(0, 40))}`, 400, true);
    const n = Number(raw);
    if (n > this.maxBodyBytes) throw new RtspParseError(`body of ${n} bytes exceeds ${this.maxBodyBytes}`, 413, true);
    return n;
  }
}

function buildMessage(startLine: string, headers: RtspHeaders, body: Uint8Array): RtspReaderEvent {
  const status = STATUS_LINE.exec(startLine);
  if (status) {
    return {
      type: 'response',
      response: { version: status[1], statusCode: Number(status[2]), reason: status[3] ?? '', headers, body },
    };
  }
  const request = REQUEST_LINE.exec(startLine);
  if (!request) throw new RtspParseError(`malformed start line ${JSON.stringify(startLine.slice(0, 80))}`, 400, true);
  return { type: 'request', request: { method: request[1], url: request[2], version: request[3], headers, body } };
}

/** Finds the blank line ending the head (CRLFCRLF, tolerating bare LF) within `limit` bytes. */
function findHeadEnd(buf: Uint8Array, limit: number): { headLength: number; totalLength: number } | undefined {
  const end = Math.min(buf.byteLength, limit + 4);
  for (let i = 0; i < end; i++) {
    if (buf[i] !== LF) continue;
    let j = i + 1;
    if (j < buf.byteLength && buf[j] === CR) j++;
    if (j < buf.byteLength && buf[j] === LF) {
      const headLength = i > 0 && buf[i - 1] === CR ? i - 1 : i;
      if (headLength > limit) return undefined;
      return { headLength, totalLength: j + 1 };
    }
  }
  return undefined;
}

function isTokenStart(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x5f;
}

function latin1(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.byteLength; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(i + 8192, bytes.byteLength)));
  }
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
