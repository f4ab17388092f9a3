/**
 * Server side of the RTMP handshake, Adobe RTMP spec 1.0 §5.2.
 *
 *   client                         server
 *   C0 (1: version = 3) + C1 (1536) ──▶
 *                                  ◀── S0 (1) + S1 (1536) + S2 (1536)
 *   C2 (1536) ──▶                       (then chunk stream, §5.3)
 *
 * C1/S1: time(4) | zero(4) | random(1528) (§5.2.3). Plain form: S2 echoes C1 (§5.2.4). When C1
 * carries a valid Flash Player digest (see handshake-digest.ts) the server answers in the
 * digest form, as FMS does: S1 carries the server digest in the same schema, S2 is signed with
 * the key derived from the client digest. FFmpeg's native client sends a digest C1 (version
 * 9.0.124.2); OBS (librtmp) sends it too when built with crypto.
 *
 * Pure: bytes in, bytes out; randomness and clock are injectable.
 */
import {
  DIGEST_SIZE, DigestSchema, GENUINE_FMS_KEY, GENUINE_FMS_KEY_PUBLIC_LENGTH, GENUINE_FP_KEY,
  GENUINE_FP_KEY_PUBLIC_LENGTH, HANDSHAKE_SIZE, findDigest, imprintDigest, responseSignature,
} from './handshake-digest';
import { RtmpHandshakeError } from './handshake-error';
import { randomFillSync } from 'node:crypto';
import { appendBytes } from '../bytes';

export const RTMP_VERSION = 3;
/** Version announced in S1 bytes 4..8 in the digest form (FMS 4.5.0.1, as nginx-rtmp sends). */
const SERVER_VERSION = [0x04, 0x05, 0x00, 0x01];

export type HandshakeState = 'c0c1' | 'c2' | 'done';
export type HandshakeMode = 'plain' | 'digest';

export interface HandshakeResult {
  /** Bytes to write to the peer (S0+S1+S2), when this step produced any. */
  send?: Uint8Array;
  done: boolean;
  /** Bytes after C2 that belong to the chunk stream (a view into the input). */
  rest?: Uint8Array;
}

export interface ServerHandshakeOptions {
  /** Fills a buffer with random bytes; default node:crypto randomFillSync. */
  random?: (out: Uint8Array) => void;
  /** Milliseconds for the S1 time field; default 0 (the spec allows any epoch). */
  now?: () => number;
}

export class ServerHandshake {
  private state: HandshakeState = 'c0c1';
  private buffered = new Uint8Array(0);
  private modeValue: HandshakeMode = 'plain';
  private schemaValue: DigestSchema | undefined;
  private readonly random: (out: Uint8Array) => void;
  private readonly now: () => number;

  constructor(options: ServerHandshakeOptions = {}) {
    this.random = options.random ?? ((out) => void randomFillSync(out));
    this.now = options.now ?? (() => 0);
  }

  get mode(): HandshakeMode {
    return this.modeValue;
  }

  /** Digest schema the client used (digest mode only). */
  get schema(): DigestSchema | undefined {
    return this.schemaValue;
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** Feeds received bytes; a truncated handshake is "need more" ({done:false}), never an error. */
  feed(bytes: Uint8Array): HandshakeResult {
    if (this.state === 'done') throw new RtmpHandshakeError('feed after the handshake completed');
    const input = appendBytes(this.buffered, bytes);
    if (input.byteLength > 0 && this.state === 'c0c1' && input[0] !== RTMP_VERSION) {
      const hint = input[0] === 6 || input[0] === 8 ? ' (RTMPE is not supported)' : '';
      throw new RtmpHandshakeError(`unsupported version byte ${input[0]}${hint}`);
    }
    let offset = 0;
    let send: Uint8Array | undefined;
    if (this.state === 'c0c1') {
      if (input.byteLength < 1 + HANDSHAKE_SIZE) return this.keep(input, 0);
      send = this.respond(input.subarray(1, 1 + HANDSHAKE_SIZE));
      offset = 1 + HANDSHAKE_SIZE;
      this.state = 'c2';
    }
    // C2 content is not verified: FFmpeg, librtmp and nginx-rtmp all accept any C2.
    if (input.byteLength - offset < HANDSHAKE_SIZE) return { ...this.keep(input, offset), send };
    offset += HANDSHAKE_SIZE;
    this.state = 'done';
    this.buffered = new Uint8Array(0);
    const rest = offset < input.byteLength ? input.subarray(offset) : undefined;
    return { send, done: true, rest };
  }

  private keep(input: Uint8Array, offset: number): HandshakeResult {
    // Copy: the caller may reuse its buffer; at most 3073 bytes are kept.
    this.buffered = input.slice(offset);
    return { done: false };
  }

  private respond(c1: Uint8Array): Uint8Array {
    const out = new Uint8Array(1 + 2 * HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    const s1 = out.subarray(1, 1 + HANDSHAKE_SIZE);
    const s2 = out.subarray(1 + HANDSHAKE_SIZE);
    this.random(s1.subarray(8));
    new DataView(s1.buffer, s1.byteOffset, 4).setUint32(0, this.now() >>> 0);
    const versionZero = c1[4] === 0 && c1[5] === 0 && c1[6] === 0 && c1[7] === 0;
    const client = versionZero ? undefined : findDigest(c1, GENUINE_FP_KEY.subarray(0, GENUINE_FP_KEY_PUBLIC_LENGTH));
    if (!client) {
      s2.set(c1);
      return out;
    }
    this.modeValue = 'digest';
    this.schemaValue = client.schema;
    s1.set(SERVER_VERSION, 4);
    imprintDigest(s1, client.schema, GENUINE_FMS_KEY.subarray(0, GENUINE_FMS_KEY_PUBLIC_LENGTH));
    this.random(s2.subarray(0, HANDSHAKE_SIZE - DIGEST_SIZE));
    s2.set(responseSignature(s2, client.digest, GENUINE_FMS_KEY), HANDSHAKE_SIZE - DIGEST_SIZE);
    return out;
  }
}
