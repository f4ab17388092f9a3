/**
 * Keeps one camera pulled for as long as this instance owns it: runs RtspClientSessions one
 * after another, reconnecting with backoff, watching for media, falling back from UDP to TCP
 * under `auto`, and turning what the session receives into bus messages and live status.
 *
 * Bus: `source-started` (with the camera SDP) once media can flow, then RtpBatchMessages on
 * media.<s>.in, and `source-stopped` with a reason when the session ends.
 */
import {
  ENVELOPE_HEADER_SIZE, StreamConfig, StreamEvent, StreamTransport, Subjects, cameraUrl, encodeEnvelope, encodeJson,
  ingestStatusKey, SourceDescription, STATUS_TTL_MS, STATUS_INTERVAL_MS } from '@streamgate/contracts';
import { Bus, Logger, StateStore, redactUrlCredentials, StatusMetrics, SpanKind, withSpan } from '@streamgate/platform';
import { ReconnectBackoff, ReconnectBackoffOptions } from './reconnect-backoff';
import { RtspClientError, RtspTransportRefusedError } from './rtsp-client-errors';
import { RtspClientSession } from './rtsp-client-session';
import { LowerTransport, UDP_FIRST_PACKET_TIMEOUT_MS, effectiveMode, initialTransport } from './transport-negotiation';
import type { UdpPortPairAllocator } from './udp-port-pair';

const WATCH_INTERVAL_MS = 250;

export interface CameraPullerOptions {
  config: StreamConfig;
  bus: Bus;
  store: StateStore;
  logger: Logger;
  udpPorts: UdpPortPairAllocator;
  /** Who pulls (status `owner`). */
  owner: string;
  /** RTSP_TRANSPORT_DEFAULT: what a stream's `auto` means. */
  defaultTransport: StreamTransport;
  /** RTSP_TIMEOUT in ms: no RTP for this long ends the session. */
  mediaTimeoutMs: number;
  requestTimeoutMs: number;
  firstUdpPacketTimeoutMs?: number;
  backoff?: ReconnectBackoffOptions;
  statusMetrics?: StatusMetrics;
}

type SessionEnd = { kind: 'closed'; error: Error } | { kind: 'no-udp-media' } | { kind: 'stopped' };

export class CameraPuller {
  readonly name: string;
  private readonly mode: StreamTransport;
  private readonly backoff: ReconnectBackoff;
  private readonly log: Logger;
  private readonly mediaSubject: string;
  private transport: LowerTransport;
  private session: RtspClientSession | undefined;
  private endSession: ((end: SessionEnd) => void) | undefined;
  private wake: (() => void) | undefined;
  private stopping = false;
  private running: Promise<void> | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  private sdp: string | undefined;
  private started = false;
  private playing = false;
  private reconnects = 0;
  private lastError: string | null = null;
  private lastPacketAt: number | undefined;
  /** Counters of sessions that ended; the live one is added when reporting. */
  private totals = { packets: 0, bytes: 0, lost: 0 };

  constructor(private readonly options: CameraPullerOptions) {
    this.name = options.config.name;
    this.mode = effectiveMode(options.config.transport, options.defaultTransport);
    this.transport = initialTransport(this.mode);
    this.backoff = new ReconnectBackoff(options.backoff);
    this.log = options.logger.child({ stream: this.name });
    this.mediaSubject = Subjects.mediaIn(this.name);
  }

  get config(): StreamConfig {
    return this.options.config;
  }

  start(): void {
    if (this.running) return;
    this.statusTimer = setInterval(() => this.writeStatus(), STATUS_INTERVAL_MS);
    this.statusTimer.unref();
    this.running = this.run().catch((err: unknown) => this.log.error({ err: this.scrub(String(err)) }, 'camera puller crashed'));
  }

  /** TEARDOWN, `source-stopped`, final status; `removeStatus` when the camera is gone for good. */
  async stop(reason: string, removeStatus = false): Promise<void> {
    this.stopping = true;
    this.endSession?.({ kind: 'stopped' });
    this.wake?.();
    await this.running;
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.log.info({ reason }, 'stopped pulling');
    if (removeStatus) {
      await this.options.store.delete(ingestStatusKey(this.name)).catch((err: unknown) => this.storeFailed(err));
      await this.options.statusMetrics?.forget(this.name);
    } else {
      this.writeStatus();
      this.options.statusMetrics?.down(this.name, 'rtsp');
    }
    this.publishStopped(reason);
  }

  private async run(): Promise<void> {
    this.generation = await this.previousGeneration();
    const url = cameraUrl(this.options.config);
    const { username, password } = this.options.config;
    const credentials = username !== null ? { username, password: password ?? '' } : undefined;
    while (!this.stopping) {
      const transport = this.transport;
      let ended: (end: SessionEnd) => void = () => undefined;
      const end = new Promise<SessionEnd>((resolve) => (ended = resolve));
      this.endSession = ended;
      const session = new RtspClientSession({
        url, credentials, transport, tcpFallback: this.mode === 'auto', udpPorts: this.options.udpPorts, requestTimeoutMs: this.options.requestTimeoutMs,
        sink: (track, rtcp, packets, receivedAt) => this.onMedia(track, rtcp, packets, receivedAt),
        onClosed: (error) => ended({ kind: 'closed', error }),
        onDebug: (message) => this.log.debug(this.scrub(message)),
      });
      this.session = session;
      this.log.info({ transport }, `connecting to ${redactUrlCredentials(url)}`);
      try {
        await withSpan('camera.connect', { stream: this.name, 'rtsp.transport': transport }, () => session.start(), { kind: SpanKind.CLIENT });
      } catch (err) {
        await session.stop();
        if (this.stopping) break;
        if (err instanceof RtspTransportRefusedError && this.fallBackToTcp(err.message)) continue;
        await this.retryLater(err);
        continue;
      }
      if (session.transport !== transport) this.fallBackToTcp('SETUP refused UDP');
      const playingSince = Date.now();
      this.playing = true;
      // Under auto, UDP is on probation until the first packet: announce once media flows.
      const probing = this.mode === 'auto' && session.transport === 'udp';
      if (!probing) this.publishStarted(session);
      this.log.info({ transport: session.transport, tracks: session.tracks.map((t) => t.track.codec), timeout: session.sessionTimeout }, 'playing');
      const watch = setInterval(() => this.watch(session, playingSince, probing, ended), WATCH_INTERVAL_MS);
      const result = await end;
      clearInterval(watch);
      await session.stop();
      this.playing = false;
      this.endSessionCounters(session);
      this.backoff.sessionEnded(this.lastPacketAt !== undefined && this.lastPacketAt > playingSince ? this.lastPacketAt - playingSince : 0);
      if (result.kind === 'stopped' || this.stopping) break;
      if (result.kind === 'no-udp-media') {
        this.fallBackToTcp(`no RTP over UDP within ${this.firstUdpMs / 1000} s of PLAY`);
        continue;
      }
      this.publishStopped(this.scrub(result.error.message));
      await this.retryLater(result.error);
    }
    this.session = undefined;
  }

  private get firstUdpMs(): number {
    return this.options.firstUdpPacketTimeoutMs ?? UDP_FIRST_PACKET_TIMEOUT_MS;
  }

  private watch(session: RtspClientSession, playingSince: number, probing: boolean, ended: (end: SessionEnd) => void): void {
    const now = Date.now();
    if (probing && !this.started && now - playingSince > this.firstUdpMs) {
      ended({ kind: 'no-udp-media' });
      return;
    }
    const last = Math.max(playingSince, ...session.tracks.map((t) => t.lastPacketAt ?? 0));
    if (now - last > this.options.mediaTimeoutMs) {
      ended({ kind: 'closed', error: new RtspClientError(`no media for ${Math.round((now - last) / 1000)} s (RTSP_TIMEOUT)`) });
    }
  }

  private fallBackToTcp(why: string): boolean {
    if (this.mode !== 'auto' || this.transport !== 'udp') return false;
    this.log.warn(`switching to TCP: ${this.scrub(why)}`);
    this.transport = 'tcp';
    return true;
  }

  private async retryLater(err: unknown): Promise<void> {
    this.lastError = this.scrub(err instanceof Error ? err.message : String(err));
    const delay = this.backoff.next();
    this.log.warn({ retryInMs: delay, attempt: this.backoff.attempts }, `camera unavailable: ${this.lastError}`);
    this.writeStatus();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
    if (!this.stopping) this.reconnects++;
  }

  private onMedia(track: number, rtcp: boolean, packets: Uint8Array[], receivedAt: number): void {
    if (!this.started) {
      const session = this.session;
      if (rtcp || !session || session.state !== 'playing') return;
      this.publishStarted(session);
    }
    if (!rtcp) this.lastPacketAt = receivedAt;
    const max = this.options.bus.maxPayload - ENVELOPE_HEADER_SIZE;
    let from = 0;
    let size = 0;
    // One envelope per read unless it would not fit the bus (then several, in order).
    for (let i = 0; i < packets.length; i++) {
      const add = 2 + packets[i].byteLength;
      if (i > from && size + add > max) {
        this.publishBatch(track, rtcp, packets.slice(from, i), receivedAt);
        from = i;
        size = 0;
      }
      size += add;
    }
    this.publishBatch(track, rtcp, from === 0 ? packets : packets.slice(from), receivedAt);
  }

  private publishBatch(track: number, rtcp: boolean, packets: Uint8Array[], receivedAt: number): void {
    try {
      this.options.bus.publish(this.mediaSubject, encodeEnvelope({ kind: 'rtp-batch', track, rtcp, receivedAt, packets }));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not publish media');
    }
  }

  private publishStarted(session: RtspClientSession): void {
    if (this.started || !session.description) return;
    this.started = true;
    this.generation++;
    this.sdp = session.description.sdp;
    this.publishEvent({ type: 'source-started', stream: this.name, source: 'rtsp', at: Date.now(), generation: this.generation, sdp: this.sdp });
    this.writeStatus();
  }

  /** While playing: what a packetizer taking the stream over needs. */
  description(): SourceDescription | undefined {
    if (!this.started || this.sdp === undefined) return undefined;
    return { stream: this.name, source: 'rtsp', generation: this.generation, sdp: this.sdp };
  }

  private publishStopped(reason: string): void {
    if (!this.started) return;
    this.started = false;
    this.sdp = undefined;
    this.publishEvent({ type: 'source-stopped', stream: this.name, source: 'rtsp', at: Date.now(), generation: this.generation, reason: reason.slice(0, 500) });
  }

  private publishEvent(event: StreamEvent): void {
    try {
      this.options.bus.publish(Subjects.streamEvents(this.name), encodeJson(StreamEvent, event));
    } catch (err) {
      this.log.error({ err: (err as Error).message }, `could not publish ${event.type}`);
    }
  }

  private endSessionCounters(session: RtspClientSession): void {
    for (const t of session.tracks) {
      this.totals.packets += t.packets;
      this.totals.bytes += t.bytes;
      this.totals.lost += t.stats.packetsLost;
    }
  }

  private writeStatus(): void {
    const live = this.playing ? (this.session?.tracks ?? []) : [];
    const status = {
      source: 'rtsp',
      connected: this.playing,
      playing: this.playing && this.started,
      transport: this.playing ? this.transport : null,
      packets_received: this.totals.packets + live.reduce((n, t) => n + t.packets, 0),
      bytes_received: this.totals.bytes + live.reduce((n, t) => n + t.bytes, 0),
      packets_lost: this.totals.lost + live.reduce((n, t) => n + t.stats.packetsLost, 0),
      jitter: live.reduce((j, t) => Math.max(j, t.stats.jitterSeconds), 0),
      reconnects: this.reconnects,
      last_error: this.lastError,
      owner: this.options.owner,
      generation: this.generation,
      last_packet_time: this.lastPacketAt === undefined ? null : this.lastPacketAt / 1000,
    };
    this.options.statusMetrics?.ingest(this.name, status);
    this.options.store.set(ingestStatusKey(this.name), JSON.stringify(status), { ttlMs: STATUS_TTL_MS }).catch((err: unknown) => this.storeFailed(err));
  }

  private async previousGeneration(): Promise<number> {
    try {
      const raw = await this.options.store.get(ingestStatusKey(this.name));
      const g: unknown = raw === undefined ? undefined : (JSON.parse(raw) as { generation?: unknown }).generation;
      return typeof g === 'number' && Number.isInteger(g) && g >= 0 ? g : 0;
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'no previous generation');
      return 0;
    }
  }

  private storeFailed(err: unknown): void {
    this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not write ingest status');
  }

  /** Credentials never leave this object: not in URLs, not verbatim (a camera may echo them). */
  private scrub(text: string): string {
    let out = redactUrlCredentials(text);
    const { password } = this.options.config;
    if (password && password.length >= 3) out = out.split(password).join('***');
    return out;
  }
}
