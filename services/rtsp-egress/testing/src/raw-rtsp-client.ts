import { Socket, connect } from 'node:net';
import { RtspMessageReader, RtspResponse } from '@streamgate/protocol-rtsp';

/** A hand-driven RTSP client for protocol tests: raw bytes out, parsed responses and RTP in. */
export class RawRtspClient {
  readonly responses: RtspResponse[] = [];
  readonly frames: Array<{ channel: number; payload: Uint8Array }> = [];
  closed = false;
  private readonly reader = new RtspMessageReader({ maxBodyBytes: 1 << 20 });
  private cseq = 0;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const e of this.reader.push(new Uint8Array(chunk))) {
        if (e.type === 'response') this.responses.push(e.response);
        else if (e.type === 'interleaved') this.frames.push({ channel: e.frame.channel, payload: Uint8Array.from(e.frame.payload) });
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => this.wake());
  }

  static connect(port: number, options: { noRead?: boolean; localAddress?: string } = {}): Promise<RawRtspClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress }, () => {
        const client = new RawRtspClient(socket);
        if (options.noRead) socket.pause();
        resolve(client);
      });
      socket.once('error', reject);
    });
  }

  sendRaw(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  async request(method: string, url: string, headers: Record<string, string> = {}): Promise<RtspResponse> {
    const cseq = ++this.cseq;
    let text = `${method} ${url} RTSP/1.0\r\nCSeq: ${cseq}\r\n`;
    for (const [k, v] of Object.entries(headers)) text += `${k}: ${v}\r\n`;
    this.sendRaw(text + '\r\n');
    return this.waitFor(() => this.responses.find((r) => r.headers.get('cseq') === String(cseq)), 5000);
  }

  async waitFor<T>(probe: () => T | undefined | false, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
