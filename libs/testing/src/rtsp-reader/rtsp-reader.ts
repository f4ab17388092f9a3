import { randomBytes } from 'node:crypto';
import { connect, Socket } from 'node:net';
import { ClientAuthenticator, connectHost, parseRtspUrl } from '@streamgate/protocol-rtsp';
import { bindUdpPortPair, UdpSocketPair } from '../ports';
import { InterleavedFrameHead, RtspProtocolError, RtspResponse, RtspStreamParser } from './rtsp-stream-parser';
import { RtpCounter, RtpTrackStats } from './rtp-counter';
import { parseSdpTracks, SdpTrack } from './sdp-tracks';

/**
 * A deliberately small RTSP reader (RFC 2326): DESCRIBE, SETUP every track, PLAY, then count
 * RTP packets and sequence gaps per track, over TCP interleaved or UDP. Many of them fit in one
 * Node process, which is what a fan-out benchmark needs (hundreds of ffmpegs would not).
 */
export type ReaderTransport = 'tcp' | 'udp';

export interface RtspReaderOptions {
  transport: ReaderTransport;
  /** Per request. */
  timeoutMs?: number;
  /** OPTIONS keepalive period; default half the session timeout the server announced. */
  keepaliveMs?: number;
  /** Kernel receive buffer for UDP sockets, bytes (capped by net.core.rmem_max). */
  udpReceiveBuffer?: number;
  userAgent?: string;
  /** Answer 401 challenges (Digest or Basic) with these, through protocol-rtsp's ClientAuthenticator. */
  credentials?: { username: string; password: string };
}

export interface ReaderTrackStats extends RtpTrackStats {
  media: string;
  rtpmap: string;
  rtcpPackets: number;
}

export interface RtspReaderStats {
  tracks: ReaderTrackStats[];
  /** Date.now() when PLAY was answered. */
  playingAt: number;
  /** The server closed the connection (or it failed) while we were reading. */
  closedByServer: boolean;
  error?: string;
}

export class RtspRequestError extends Error {
  constructor(readonly method: string, readonly status: number, reason: string, readonly challenges: string[] = []) {
    super(`${method} answered ${status} ${reason}`);
    this.name = 'RtspRequestError';
  }
}

interface Track {
  sdp: SdpTrack;
  rtp: RtpCounter;
  rtcpPackets: number;
  udp?: UdpSocketPair;
}

interface Pending {
  method: string;
  resolve: (r: RtspResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class RtspReader {
  private readonly tracks: Track[] = [];
  private readonly byChannel = new Map<number, { track: Track; rtcp: boolean }>();
  private readonly pending = new Map<number, Pending>();
  private cseq = 0;
  private session: string | undefined;
  private sessionUrl: string;
  private keepalive: NodeJS.Timeout | undefined;
  private playingAt = 0;
  private closing = false;
  private closedByServer = false;
  private error: string | undefined;
  private readonly auth: ClientAuthenticator | undefined;

  private constructor(
    private readonly url: string,
    private readonly socket: Socket,
    private readonly o: Required<Omit<RtspReaderOptions, 'keepaliveMs' | 'credentials'>> & Pick<RtspReaderOptions, 'keepaliveMs' | 'credentials'>,
  ) {
    this.sessionUrl = url;
    this.auth = o.credentials ? new ClientAuthenticator(o.credentials, () => randomBytes(8).toString('hex')) : undefined;
    const parser = new RtspStreamParser((r) => this.onResponse(r), (f) => this.onFrame(f));
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.push(chunk);
      } catch (e) {
        this.fail(e instanceof Error ? e.message : String(e));
      }
    });
    socket.on('error', (e) => this.fail(e.message));
    socket.on('close', () => this.fail('connection closed'));
  }

  /** Connects, describes, sets up every track and plays. Rejects (and cleans up) on any failure. */
  static async open(url: string, options: RtspReaderOptions): Promise<RtspReader> {
    const o = {
      timeoutMs: 10_000,
      udpReceiveBuffer: 2 * 1024 * 1024,
      userAgent: 'streamgate-bench-reader',
      ...options,
    };
    const target = parseRtspUrl(url);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(target.port ?? 554, connectHost(target));
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connecting to ${url} timed out`));
      }, o.timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    socket.setNoDelay(true);
    const reader = new RtspReader(url, socket, o);
    try {
      await reader.start();
    } catch (e) {
      reader.destroy();
      throw e;
    }
    return reader;
  }

  stats(): RtspReaderStats {
    return {
      tracks: this.tracks.map((t) => ({
        media: t.sdp.media,
        rtpmap: t.sdp.rtpmap,
        rtcpPackets: t.rtcpPackets,
        ...t.rtp.stats(),
      })),
      playingAt: this.playingAt,
      closedByServer: this.closedByServer,
      error: this.error,
    };
  }

  /** TEARDOWN (best effort, bounded), then closes every socket. */
  async close(teardownTimeoutMs = 2000): Promise<void> {
    if (this.closing) return;
    if (!this.closedByServer && this.session) {
      await this.request('TEARDOWN', this.sessionUrl, {}, teardownTimeoutMs).catch((e: unknown) => {
        // A server that hangs up on TEARDOWN is fine; the reader is going away either way.
        this.error ??= `TEARDOWN: ${e instanceof Error ? e.message : String(e)}`;
      });
    }
    this.destroy();
  }

  private destroy(): void {
    this.closing = true;
    clearInterval(this.keepalive);
    this.socket.destroy();
    for (const t of this.tracks) {
      t.udp?.rtp.close();
      t.udp?.rtcp.close();
    }
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`${p.method}: reader closed`));
    }
    this.pending.clear();
  }

  private async start(): Promise<void> {
    const described = await this.request('DESCRIBE', this.url, { Accept: 'application/sdp' });
    const base = described.headers.get('content-base') ?? described.headers.get('content-location') ?? this.url;
    const sdp = parseSdpTracks(described.body, base);
    if (sdp.tracks.length === 0) throw new RtspProtocolError(`DESCRIBE ${this.url}: SDP has no media`);
    this.sessionUrl = sdp.sessionUrl;
    let timeoutSec = 60;
    for (const [i, s] of sdp.tracks.entries()) {
      const track: Track = { sdp: s, rtp: new RtpCounter(), rtcpPackets: 0 };
      this.tracks.push(track);
      const transport = await this.transportFor(track, i);
      const reply = await this.request('SETUP', s.controlUrl, { Transport: transport });
      const sessionHeader = reply.headers.get('session');
      if (!sessionHeader) throw new RtspProtocolError(`SETUP ${s.controlUrl}: no Session header`);
      const [id, ...params] = sessionHeader.split(';');
      this.session = id.trim();
      const t = params.map((p) => /^\s*timeout=(\d+)/.exec(p)).find((m) => m);
      if (t) timeoutSec = Number(t[1]);
      this.mapChannels(track, i, reply.headers.get('transport') ?? '');
    }
    // No Range: on a seekable (file-backed) shared media, PLAY with a Range seeks every reader.
    await this.request('PLAY', this.sessionUrl, {});
    this.playingAt = Date.now();
    const period = this.o.keepaliveMs ?? Math.max(1000, (timeoutSec * 1000) / 2);
    this.keepalive = setInterval(() => {
      this.request('OPTIONS', this.sessionUrl, {}).catch((e: unknown) => this.fail(`keepalive: ${String(e)}`));
    }, period);
    this.keepalive.unref();
  }

  private async transportFor(track: Track, index: number): Promise<string> {
    if (this.o.transport === 'tcp') return `RTP/AVP/TCP;unicast;interleaved=${2 * index}-${2 * index + 1}`;
    // On the address this connection leaves from, as a client on a network would (127.0.0.1 on loopback).
    const pair = await bindUdpPortPair(this.socket.localAddress);
    track.udp = pair;
    for (const s of [pair.rtp, pair.rtcp]) {
      s.setRecvBufferSize(this.o.udpReceiveBuffer);
      s.on('error', (e) => this.fail(`udp: ${e.message}`));
    }
    pair.rtp.on('message', (msg) => track.rtp.onPacket(msg, msg.length, Date.now()));
    pair.rtcp.on('message', () => track.rtcpPackets++);
    return `RTP/AVP;unicast;client_port=${pair.rtpPort}-${pair.rtcpPort}`;
  }

  private mapChannels(track: Track, index: number, transport: string): void {
    if (this.o.transport !== 'tcp') return;
    const m = /interleaved=(\d+)(?:-(\d+))?/.exec(transport);
    const rtp = m ? Number(m[1]) : 2 * index;
    const rtcp = m?.[2] !== undefined ? Number(m[2]) : rtp + 1;
    this.byChannel.set(rtp, { track, rtcp: false });
    this.byChannel.set(rtcp, { track, rtcp: true });
  }

  private onFrame(f: InterleavedFrameHead): void {
    const target = this.byChannel.get(f.channel);
    if (!target) return;
    if (target.rtcp) target.track.rtcpPackets++;
    else target.track.rtp.onPacket(f.head, f.length, Date.now());
  }

  private onResponse(r: RtspResponse): void {
    const cseq = Number(r.headers.get('cseq'));
    const p = this.pending.get(cseq);
    if (!p) return;
    this.pending.delete(cseq);
    clearTimeout(p.timer);
    if (r.status === 200) p.resolve(r);
    else p.reject(new RtspRequestError(p.method, r.status, r.reason, r.challenges));
  }

  /** One request; a 401 is answered once with the credentials (and again on a stale nonce). */
  private async request(method: string, url: string, headers: Record<string, string>, timeoutMs = this.o.timeoutMs): Promise<RtspResponse> {
    for (let attempt = 0; ; attempt++) {
      const authorization = this.auth?.authorize(method, url);
      try {
        const r = await this.send(method, url, authorization ? { ...headers, Authorization: authorization } : headers, timeoutMs);
        this.auth?.accepted();
        return r;
      } catch (e) {
        if (!(e instanceof RtspRequestError) || e.status !== 401 || !this.auth || attempt >= 2) throw e;
        const decision = this.auth.unauthorized(e.challenges, authorization !== undefined);
        if (!decision.retry) throw e;
      }
    }
  }

  private send(method: string, url: string, headers: Record<string, string>, timeoutMs: number): Promise<RtspResponse> {
    const cseq = ++this.cseq;
    const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${cseq}`, `User-Agent: ${this.o.userAgent}`];
    if (this.session) lines.push(`Session: ${this.session}`);
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    return new Promise((resolve, reject) => {
      if (this.closing || this.socket.destroyed) {
        reject(new Error(`${method}: connection is closed`));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(cseq);
        reject(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(cseq, { method, resolve, reject, timer });
      this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  }

  private fail(reason: string): void {
    if (this.closing) return;
    this.closedByServer = true;
    this.error ??= reason;
    this.destroy();
  }
}
