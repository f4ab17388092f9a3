import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { isValidStreamName } from '@streamgate/contracts';
import {
  AccessControl, HTTP_BASIC_CHALLENGE, Logger, MetricsCatalog, StreamUnavailableError, TlsCredentials, httpCredentials, peerAddress,
} from '@streamgate/platform';
import { SegmentNames, measureBandwidth, renderMediaPlaylist, renderMultivariantPlaylist } from '@streamgate/protocol-hls';
import { MuxerRegistry, TooManyMuxersError } from './muxer-registry';
import type { StreamMuxer } from './stream-muxer';

export interface HlsServerOptions {
  host: string;
  port: number;
  lowLatency: boolean;
  /** `*`, a comma-separated list of origins, or empty (no CORS headers). */
  corsOrigins: string;
  /** How long the first request waits for a stream's first part, ms. */
  startTimeoutMs: number;
  maxConnections: number;
  /** HTTPS on the same port when a certificate is configured (TLS_CERT_FILE/TLS_KEY_FILE), reloaded with it. */
  tls?: TlsCredentials;
}

/** RFC 8216 §4: playlists are application/vnd.apple.mpegurl; fMP4 segments video/mp4 (RFC 4337). */
const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
const SEGMENT_TYPE = 'video/mp4';
/** The media playlist every multivariant playlist points to. */
export const MEDIA_PLAYLIST = 'stream.m3u8';
const FILE_PATTERN = /^([0-9a-f]{8})_(init(\d{1,6})|seg(\d{1,9})|part(\d{1,9})_(\d{1,4}))\.mp4$/;

type RequestKind = 'multivariant' | 'playlist' | 'init' | 'segment' | 'part' | 'other';

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * `http://host:HLS_PORT/<name>/index.m3u8` (MediaMTX's shape). Every URI in the playlists is
 * relative, so the server works unchanged behind a proxy path prefix.
 *
 * Blocking playlist reload (draft-pantos-hls-rfc8216bis §6.2.5.2): `_HLS_msn`/`_HLS_part` hold
 * the response until that part exists, up to three target durations, then 503. A request for the
 * part named by EXT-X-PRELOAD-HINT is held the same way (§6.2.6).
 */
export class HlsServer {
  private readonly server: Server | HttpsServer;
  private readonly socketIds = new WeakMap<Socket, number>();
  private nextSocketId = 1;
  private readonly allowedOrigins: Set<string> | '*' | undefined;

  constructor(
    private readonly registry: MuxerRegistry,
    private readonly logger: Logger,
    private readonly metrics: MetricsCatalog,
    private readonly options: HlsServerOptions,
    private readonly access?: AccessControl,
  ) {
    const cors = options.corsOrigins.trim();
    this.allowedOrigins = cors === '' ? undefined : cors === '*' ? '*' : new Set(cors.split(',').map((o) => o.trim()).filter(Boolean));
    const listener = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error({ err }, 'HLS request failed');
        if (!res.headersSent) this.send(res, 500, 'text/plain', 'internal error\n', 'other');
        else res.destroy();
      });
    };
    this.server = options.tls ? options.tls.createHttpsServer(listener) : createServer(listener);
    this.server.maxConnections = options.maxConnections;
    // Blocking requests are held for up to three target durations; keep-alive outlives that.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private clientId(req: IncomingMessage): number {
    let id = this.socketIds.get(req.socket);
    if (id === undefined) {
      id = this.nextSocketId++;
      this.socketIds.set(req.socket, id);
    }
    return id;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.setCors(req, res);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Max-Age': '86400' }).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.send(res, 405, 'text/plain', 'method not allowed\n', 'other', { Allow: 'GET, HEAD, OPTIONS' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [stream, file, ...rest] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (!stream || !isValidStreamName(stream) || rest.length > 0 || !file) {
      this.send(res, 404, 'text/plain', 'not found: use /<stream>/index.m3u8\n', 'other');
      return;
    }
    if (!(await this.authorized(req, res, stream, url.searchParams, requestKind(file)))) return;
    // A token given in the query (?token= / ?jwt=) is carried into every URI of the playlists,
    // since players fetch those relative URIs without the playlist's query.
    const query = tokenQuery(url.searchParams);
    try {
      if (file === 'index.m3u8' || file === MEDIA_PLAYLIST) {
        const muxer = await this.startedMuxer(stream, req);
        if (file === 'index.m3u8') this.sendMultivariant(res, muxer, query);
        else await this.sendMediaPlaylist(res, muxer, url.searchParams, query);
        return;
      }
      const m = FILE_PATTERN.exec(file);
      const muxer = this.registry.get(stream);
      if (!m || !muxer || muxer.prefix !== m[1]) throw new HttpError(404, 'no such segment (the stream may have restarted: reload the playlist)');
      muxer.touch(this.clientId(req), Date.now());
      if (m[3] !== undefined) {
        const init = muxer.initSegment(Number(m[3]));
        if (!init) throw new HttpError(404, `init segment ${m[3]} is not available`);
        this.send(res, 200, SEGMENT_TYPE, init, 'init', { 'Cache-Control': 'public, max-age=3600' });
      } else if (m[4] !== undefined) {
        await this.sendSegment(res, muxer, Number(m[4]));
      } else {
        await this.sendPart(res, muxer, Number(m[5]), Number(m[6]));
      }
    } catch (err) {
      const kind = requestKind(file);
      if (err instanceof HttpError) this.send(res, err.status, 'text/plain', `${err.message}\n`, kind);
      else if (err instanceof StreamUnavailableError) this.send(res, 404, 'text/plain', `${err.message}\n`, kind);
      else if (err instanceof TooManyMuxersError) this.send(res, 503, 'text/plain', `${err.message}\n`, kind, { 'Retry-After': '5' });
      else throw err;
    }
  }

  private async startedMuxer(stream: string, req: IncomingMessage): Promise<StreamMuxer> {
    const muxer = this.registry.acquire(stream);
    muxer.touch(this.clientId(req), Date.now());
    await muxer.ready;
    if (!(await muxer.waitFor(() => muxer.playable, this.options.startTimeoutMs))) {
      throw new HttpError(muxer.isClosed ? 404 : 503, muxer.isClosed ? `stream ${stream} ended: ${muxer.closeReason}` : `stream ${stream} has produced no media yet`);
    }
    return muxer;
  }

  /**
   * `read` permission on the stream (MediaMTX's model, via ctx.access): Basic, Bearer,
   * `?token=`/`?jwt=` or the web console's session cookie. Open when no users or external
   * method are configured.
   */
  private async authorized(req: IncomingMessage, res: ServerResponse, stream: string, query: URLSearchParams, kind: RequestKind): Promise<boolean> {
    if (!this.access?.restricted) return true;
    const decision = await this.access.authorize({
      action: 'read', path: stream, protocol: 'hls', ip: peerAddress(req.socket.remoteAddress), ...httpCredentials(req.headers, query),
    });
    if (decision.allowed) return true;
    const headers: Record<string, string> = decision.status === 401 ? { 'WWW-Authenticate': HTTP_BASIC_CHALLENGE } : {};
    this.send(res, decision.status, 'text/plain', decision.status === 401 ? 'authentication required\n' : 'no read permission on this stream\n', kind, headers);
    return false;
  }

  private sendMultivariant(res: ServerResponse, muxer: StreamMuxer, query: string): void {
    const info = muxer.initInfo;
    const seg = muxer.segmenter;
    if (!info || !seg) throw new HttpError(503, 'stream not ready');
    const bw = measureBandwidth(seg);
    const text = renderMultivariantPlaylist({
      bandwidth: bw.peak, averageBandwidth: bw.average, codecs: info.codecs, resolution: info.resolution, frameRate: info.frameRate, uri: MEDIA_PLAYLIST + query,
      independentSegments: seg.forcedCuts === 0,
    });
    this.send(res, 200, PLAYLIST_TYPE, text, 'multivariant', { 'Cache-Control': 'no-cache' });
  }

  private async sendMediaPlaylist(res: ServerResponse, muxer: StreamMuxer, query: URLSearchParams, uriQuery: string): Promise<void> {
    const seg = muxer.segmenter;
    if (!seg) throw new HttpError(503, 'stream not ready');
    const msnParam = query.get('_HLS_msn');
    const partParam = query.get('_HLS_part');
    if (this.options.lowLatency && msnParam !== null) {
      const msn = parseDirective(msnParam, '_HLS_msn');
      const part = partParam === null ? undefined : parseDirective(partParam, '_HLS_part');
      // §6.2.5.2: more than two segments ahead of the last one is a client error.
      const next = seg.nextPart();
      if (msn > next.msn + 2) throw new HttpError(400, `_HLS_msn=${msn} is beyond the playlist's next segment ${next.msn} + 2`);
      const ok = await muxer.waitFor(() => seg.has(msn, part), 3000 * seg.targetDurationS());
      if (!ok) throw new HttpError(503, `part ${msn}.${part ?? '*'} not produced in time`);
    } else if (partParam !== null) {
      throw new HttpError(400, '_HLS_part needs _HLS_msn');
    }
    const text = renderMediaPlaylist(seg, { names: withQuery(muxer.names, uriQuery), lowLatency: this.options.lowLatency });
    this.send(res, 200, PLAYLIST_TYPE, text, 'playlist', { 'Cache-Control': 'no-cache' });
  }

  private async sendSegment(res: ServerResponse, muxer: StreamMuxer, msn: number): Promise<void> {
    const seg = muxer.segmenter;
    if (!seg) throw new HttpError(404, 'no such segment');
    if (!seg.has(msn) && seg.building?.msn === msn) await muxer.waitFor(() => seg.has(msn), 3000 * seg.targetDurationS());
    const bytes = seg.find(msn)?.bytes;
    if (!bytes) throw new HttpError(404, `segment ${msn} is not available`);
    this.send(res, 200, SEGMENT_TYPE, bytes, 'segment', { 'Cache-Control': 'public, max-age=3600' });
  }

  private async sendPart(res: ServerResponse, muxer: StreamMuxer, msn: number, index: number): Promise<void> {
    const seg = muxer.segmenter;
    if (!seg) throw new HttpError(404, 'no such part');
    const next = seg.nextPart();
    // The preload-hinted part (or the one after) is held until it exists (§6.2.6).
    const soon = (msn === next.msn && index >= next.index && index <= next.index + 1) || (msn === next.msn + 1 && index === 0);
    if (soon) await muxer.waitFor(() => partBytes(muxer, msn, index) !== undefined || seg.has(msn), 3000 * seg.targetDurationS());
    const bytes = partBytes(muxer, msn, index);
    if (!bytes) throw new HttpError(404, `part ${msn}.${index} is not available`);
    this.send(res, 200, SEGMENT_TYPE, bytes, 'part', { 'Cache-Control': 'public, max-age=3600' });
  }

  /**
   * CORS (HLS_CORS_ORIGINS). A page of this same host on another port — the web console on the
   * API's port — and listed origins get credentialed CORS (their exact origin and
   * Allow-Credentials), so the console's previews can send its session cookie: browsers send a
   * host's cookies to every port of it (RFC 6265 §8.5), so this opens nothing the cookie did not.
   * Other origins get `*` without credentials when HLS_CORS_ORIGINS is `*`.
   */
  private setCors(req: IncomingMessage, res: ServerResponse): void {
    const allowed = this.allowedOrigins;
    const origin = req.headers.origin;
    if (origin && (sameHost(origin, req.headers.host) || (allowed instanceof Set && allowed.has(origin)))) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    } else if (allowed === '*') {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Vary', 'Origin');
    } else return;
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Range');
  }

  private send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, kind: RequestKind, headers: Record<string, string> = {}): void {
    this.metrics.hlsRequests.inc({ kind, status: String(status) });
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(data.byteLength), ...headers });
    if (res.req.method === 'HEAD') res.end();
    else res.end(data);
  }
}

/** `?token=<t>` when the request carried a token in its query, else ''. */
function tokenQuery(query: URLSearchParams): string {
  for (const name of ['token', 'jwt']) {
    const value = query.get(name);
    if (value) return `?${name}=${encodeURIComponent(value)}`;
  }
  return '';
}

function withQuery(names: SegmentNames, query: string): SegmentNames {
  if (!query) return names;
  return { init: (v) => names.init(v) + query, segment: (msn) => names.segment(msn) + query, part: (msn, i) => names.part(msn, i) + query };
}

function partBytes(muxer: StreamMuxer, msn: number, index: number): Uint8Array | undefined {
  return muxer.segmenter?.find(msn)?.parts[index]?.bytes;
}

function parseDirective(value: string, name: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new HttpError(400, `${name} must be a non-negative integer`);
  return Number(value);
}

/** Whether an Origin is a page of the host this request was sent to (any port). */
function sameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).hostname === new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
}

function requestKind(file: string): RequestKind {
  if (file === 'index.m3u8') return 'multivariant';
  if (file === MEDIA_PLAYLIST) return 'playlist';
  const m = FILE_PATTERN.exec(file);
  if (!m) return 'other';
  return m[3] !== undefined ? 'init' : m[4] !== undefined ? 'segment' : 'part';
}
