/**
 * A minimal RTMP client for tests that need to send what real publishers never would
 * (garbage, oversized headers, hand-made digests). Built on the protocol library.
 */
import { Socket, connect } from 'node:net';
import {
  Amf0Value, ChunkDecoder, ChunkEncoder, RtmpMessage, decodeCommand, encodeCommand,
} from '@streamgate/protocol-rtmp';

const HANDSHAKE_REPLY = 1 + 2 * 1536;

export class RawRtmpClient {
  readonly messages: RtmpMessage[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new ChunkDecoder();
  readonly encoder = new ChunkEncoder();
  private raw: Buffer[] = [];
  private rawLength = 0;
  private handshakeDone = false;
  private waiters: (() => void)[] = [];
  private isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.isClosed = true;
      resolve();
      this.wake();
    }));
  }

  static connect(port: number): Promise<RawRtmpClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawRtmpClient(socket)));
      socket.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Sends C0+C1 (plain unless `c1` is given), waits for S0+S1+S2, sends C2; returns S0+S1+S2. */
  async handshake(c1 = new Uint8Array(1536), timeoutMs = 3000): Promise<Uint8Array> {
    this.write(Uint8Array.from([3, ...c1]));
    await this.until(() => this.rawLength >= HANDSHAKE_REPLY, timeoutMs, 'S0+S1+S2');
    const all = Buffer.concat(this.raw);
    const reply = new Uint8Array(all.subarray(0, HANDSHAKE_REPLY));
    this.handshakeDone = true;
    this.raw = [];
    this.rawLength = 0;
    this.write(reply.subarray(1, 1 + 1536));
    if (all.byteLength > HANDSHAKE_REPLY) this.messages.push(...this.decoder.push(all.subarray(HANDSHAKE_REPLY)));
    return reply;
  }

  send(msg: RtmpMessage, csid = 3): void {
    this.write(this.encoder.encode(msg, csid));
  }

  command(name: string, transactionId: number, commandObject: Amf0Value, args: Amf0Value[] = [], streamId = 0): void {
    this.send(encodeCommand({ name, transactionId, commandObject, args }, streamId));
  }

  /** connect + createStream; resolves with the stream id. */
  async connectAndCreateStream(app = 'live'): Promise<number> {
    this.command('connect', 1, { app, tcUrl: `rtmp://127.0.0.1/${app}` });
    await this.waitForMessage((m) => m.typeId === 20 && m.payload.byteLength > 0, 'connect _result');
    this.command('createStream', 2, null);
    const reply = await this.waitForMessage((m) => m.typeId === 20 && decodeCommand(m).transactionId === 2, 'createStream _result');
    const id = decodeCommand(reply).args[0];
    return typeof id === 'number' ? id : 0;
  }

  async waitForMessage(pred: (m: RtmpMessage) => boolean, what: string, timeoutMs = 3000): Promise<RtmpMessage> {
    let found: RtmpMessage | undefined;
    await this.until(() => (found = this.messages.find(pred)) !== undefined, timeoutMs, what);
    if (!found) throw new Error(`no ${what}`);
    return found;
  }

  /** Resolves true when the server closes the connection within `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    try {
      await this.until(() => this.isClosed, timeoutMs, 'close');
      return true;
    } catch {
      return false;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(data: Buffer): void {
    if (this.handshakeDone) {
      this.messages.push(...this.decoder.push(data));
    } else {
      this.raw.push(data);
      this.rawLength += data.byteLength;
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const check = (): void => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else if (this.isClosed && what !== 'close') {
          clearTimeout(timer);
          reject(new Error(`connection closed while waiting for ${what}`));
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }
}
