/**
 * Incremental parser for what an RTSP server sends on the control connection: responses
 * (RFC 2326 §7) and, once playing over TCP, interleaved binary frames (§10.12:
 * '$' · channel · 16-bit length · data). Built for counting at scale: frame payloads are
 * skipped, not copied; only the first RTP_HEAD_BYTES of each frame are handed out.
 */
export interface RtspResponse {
  status: number;
  reason: string;
  /** Header names lower-cased; a repeated header keeps its last value. */
  headers: Map<string, string>;
  /** Every WWW-Authenticate value, in order (a server sends one per scheme). */
  challenges: string[];
  body: string;
}

export interface InterleavedFrameHead {
  channel: number;
  /** Payload length announced by the frame header. */
  length: number;
  /** The first min(length, RTP_HEAD_BYTES) payload bytes (a fresh copy). */
  head: Buffer;
}

export const RTP_HEAD_BYTES = 12;
const MAX_HEAD_BYTES = 64 * 1024;
const DOLLAR = 0x24;

export class RtspProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RtspProtocolError';
  }
}

type State =
  | { kind: 'boundary' }
  | { kind: 'frame-header'; got: Buffer; filled: number }
  | { kind: 'frame-head'; channel: number; length: number; got: Buffer; filled: number }
  | { kind: 'frame-skip'; remaining: number }
  | { kind: 'text'; text: string }
  | { kind: 'body'; response: RtspResponse; remaining: number; parts: Buffer[] };

export class RtspStreamParser {
  private state: State = { kind: 'boundary' };

  constructor(
    private readonly onResponse: (r: RtspResponse) => void,
    private readonly onFrame: (f: InterleavedFrameHead) => void,
  ) {}

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      const s = this.state;
      switch (s.kind) {
        case 'boundary':
          this.state = chunk[i] === DOLLAR
            ? { kind: 'frame-header', got: Buffer.alloc(4), filled: 0 }
            : { kind: 'text', text: '' };
          break;
        case 'frame-header': {
          const n = Math.min(4 - s.filled, chunk.length - i);
          chunk.copy(s.got, s.filled, i, i + n);
          s.filled += n;
          i += n;
          if (s.filled === 4) {
            const length = s.got.readUInt16BE(2);
            const headLen = Math.min(length, RTP_HEAD_BYTES);
            this.state = { kind: 'frame-head', channel: s.got[1], length, got: Buffer.alloc(headLen), filled: 0 };
            if (headLen === 0) this.finishHead();
          }
          break;
        }
        case 'frame-head': {
          const n = Math.min(s.got.length - s.filled, chunk.length - i);
          chunk.copy(s.got, s.filled, i, i + n);
          s.filled += n;
          i += n;
          if (s.filled === s.got.length) this.finishHead();
          break;
        }
        case 'frame-skip': {
          const n = Math.min(s.remaining, chunk.length - i);
          s.remaining -= n;
          i += n;
          if (s.remaining === 0) this.state = { kind: 'boundary' };
          break;
        }
        case 'text': {
          const before = s.text.length;
          s.text += chunk.toString('latin1', i);
          // Search from 3 bytes back: the terminator may straddle two chunks.
          const at = s.text.indexOf('\r\n\r\n', Math.max(0, before - 3));
          if (at < 0) {
            i = chunk.length;
            if (s.text.length > MAX_HEAD_BYTES) throw new RtspProtocolError(`response head longer than ${MAX_HEAD_BYTES} bytes`);
            break;
          }
          i += at + 4 - before;
          this.finishHeaders(s.text.slice(0, at));
          break;
        }
        case 'body': {
          const n = Math.min(s.remaining, chunk.length - i);
          s.parts.push(chunk.subarray(i, i + n));
          s.remaining -= n;
          i += n;
          if (s.remaining === 0) {
            s.response.body = Buffer.concat(s.parts).toString('utf8');
            this.state = { kind: 'boundary' };
            this.onResponse(s.response);
          }
          break;
        }
      }
    }
  }

  private finishHead(): void {
    const s = this.state;
    if (s.kind !== 'frame-head') return;
    const remaining = s.length - s.got.length;
    this.state = remaining > 0 ? { kind: 'frame-skip', remaining } : { kind: 'boundary' };
    this.onFrame({ channel: s.channel, length: s.length, head: s.got });
  }

  private finishHeaders(head: string): void {
    const lines = head.split('\r\n');
    const m = /^RTSP\/1\.0 (\d{3}) ?(.*)$/.exec(lines[0]);
    if (!m) throw new RtspProtocolError(`not an RTSP response: ${JSON.stringify(lines[0].slice(0, 80))}`);
    const headers = new Map<string, string>();
    const challenges: string[] = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      headers.set(name, line.slice(colon + 1).trim());
      if (name === 'www-authenticate') challenges.push(line.slice(colon + 1).trim());
    }
    const response: RtspResponse = { status: Number(m[1]), reason: m[2], headers, challenges, body: '' };
    const length = Number(headers.get('content-length') ?? 0);
    if (length > 0) {
      this.state = { kind: 'body', response, remaining: length, parts: [] };
    } else {
      this.state = { kind: 'boundary' };
      this.onResponse(response);
    }
  }
}
