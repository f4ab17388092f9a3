/**
 * Keeps one camera pulled for as long as this instance owns it: runs RtspClientSessions one
 * after another, reconnecting with backoff, watching for media, falling back from UDP to TCP
 * under `auto`, and turning what the session receives into bus messages and live status.
 *
 * Bus (through the shared LiveSource lifecycle): `source-started` (with the camera's tracks as
 * typed formats) once media can flow, then RtpBatchMessages on media.<s>.in, and
 * `source-stopped` with a reason when the session ends.
 */
import {
  CameraSource, DEMAND_INTERVAL_MS, ENVELOPE_HEADER_SIZE, SourceDemandReply, StreamConfig, StreamSource, StreamTransport, encodeEnvelope, isPublishedSource, streamSources, SourceDescription, sourceFormatOf, RtspIngestStatus,
  unsupportedSourceTrackOf } from '@streamgate/contracts';
import { BufferSlab, REBASE_MARGIN_MS } from '@streamgate/protocol-rtp';
import { Bus, CameraUrlGuard, Logger, StateStore, redactUrlCredentials, StatusMetrics, SpanKind, withSpan } from '@streamgate/platform';
import { LiveSource, SourceTracks } from '../source/live-source';
import { PublishedRelay } from '../source/published-relay';
import { PrimaryProbe } from './primary-probe';
import { ReconnectBackoff, ReconnectBackoffOptions } from './reconnect-backoff';
import { RtspAuthError, RtspClientError, RtspProtocolViolation, RtspStatusError, RtspTransportRefusedError } from './rtsp-client-errors';
import { RtspClientSession, sourceCredentials } from './rtsp-client-session';
import { SourceSelection } from './source-selection';
import { WatchedTrack, findStall } from './track-stall';
import { LowerTransport, UDP_FIRST_PACKET_TIMEOUT_MS, effectiveMode, initialTransport } from './transport-negotiation';
import type { UdpPortPairAllocator } from './udp-port-pair';

/** How often the stall watchdog looks at each track (findStall). */
const WATCH_INTERVAL_MS = 250;
/**
 * Least time between the last packet of one source and the first of the next (failover or a
 * return to the primary). The packetizer's TimelineContinuity places the new source's first
 * unit REBASE_MARGIN_MS behind its arrival, but never before the newest timestamp sent (a
 * B-frame's can be ~100 ms ahead of its arrival); a switch quicker than both would place it
 * ahead of its arrival, move the RTP ↔ wall-clock mapping of egress's sender reports, and
 * readers (ffmpeg) saw timestamps go back ("Non-monotonous DTS").
 */
const SOURCE_SWITCH_QUIET_MS = REBASE_MARGIN_MS + 250;
/**
 * How long a published backup (`publish:<key>`) may take to be found publishing and described
 * before it counts as failed and the next source is tried (the push may be back by the next round).
 */
const PUBLISHED_START_TIMEOUT_MS = 2000;

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
  /** RTSP_TIMEOUT in ms: no RTP for this long, on any one track, ends the session (findStall). */
  mediaTimeoutMs: number;
  requestTimeoutMs: number;
  firstUdpPacketTimeoutMs?: number;
  backoff?: ReconnectBackoffOptions;
  statusMetrics?: StatusMetrics;
  /** Checked before every connect (SSRF, DNS rebinding); refusals end in last_error. */
  cameraGuard?: CameraUrlGuard;
}

type SessionEnd =
  | { kind: 'closed'; error: Error }
  | { kind: 'no-udp-media' }
  | { kind: 'stopped' }
  /** A backup is active and the primary has been healthy long enough: it takes over. */
  | { kind: 'primary-back' }
  /** On-demand camera: no consumer for on_demand_close_after. */
  | { kind: 'idle' };

/**
 * Where every camera's reads are written as envelopes: one slab for the process, 64 KiB (Node's
 * pool is 8 KiB: a new one every three or four envelopes). Envelopes are short-lived (the
 * packetizer reads them in the next microtask; only its current frame keeps views into one, its
 * latest keyframe is a copy), so a slab is garbage within milliseconds, while young. A slab per
 * camera lived a quarter of a second and was promoted: 20-40 MiB more RSS at 50 cameras.
 * Exported for the media-path benchmark, which writes envelopes as this file does.
 */
export const READ_ENVELOPES = new BufferSlab(64 * 1024, 16 * 1024);

export class CameraPuller {
  readonly name: string;
  private readonly mode: StreamTransport;
  private readonly backoff: ReconnectBackoff;
  private readonly log: Logger;
  private readonly live: LiveSource;
  private transport: LowerTransport;
  private session: RtspClientSession | undefined;
  /** While a published backup feeds the stream. */
  private relay: PublishedRelay | undefined;
  private endSession: ((end: SessionEnd) => void) | undefined;
  private wake: (() => void) | undefined;
  private stopping = false;
  private running: Promise<void> | undefined;
  private playing = false;
  private reconnects = 0;
  private lastError: string | null = null;
  /** Unix ms of the latest error; last_error is cleared on recovery, this stays. */
  private lastErrorAt: number | null = null;
  private lastPacketAt: number | undefined;
  /** After a track stalled: its media (not any) clears last_error. */
  private clearErrorOnTrack: number | undefined;
  /** The stall that ended the session just now (the error retryLater gets). */
  private stall: { error: Error; track: number | undefined } | undefined;
  /** SDP indexes of the tracks that ever delivered RTP from this camera (watched for stalls). */
  private readonly everFlowed = new Set<number>();
  /** Counters of sessions that ended; the live one is added when reporting. */
  private totals = { packets: 0, bytes: 0, lost: 0 };
  /** The primary (0) and the backups, in order; which one is pulled is the selection's. */
  private readonly sources: [CameraSource, ...StreamSource[]];
  private readonly selection: SourceSelection;
  private probe: PrimaryProbe | undefined;
  /** The source whose media was published last (a different next one is a switch). */
  private lastPlayedSource = 0;
  /** On-demand: when a consumer last asked for the stream (undefined: none yet). */
  private lastDemandAt: number | undefined;
  /** On-demand: set while the camera is released, resolves on the next demand. */
  private wakeOnDemand: (() => void) | undefined;

  constructor(private readonly options: CameraPullerOptions) {
    this.name = options.config.name;
    this.mode = effectiveMode(options.config.transport, options.defaultTransport);
    this.transport = initialTransport(this.mode);
    this.backoff = new ReconnectBackoff(options.backoff);
    this.log = options.logger.child({ stream: this.name });
    this.live = new LiveSource({
      stream: this.name, kind: 'rtsp', bus: options.bus, store: options.store, logger: this.log, statusMetrics: options.statusMetrics,
      status: () => this.status(),
    });
    this.sources = streamSources(options.config);
    this.selection = new SourceSelection({ sources: this.sources.length, switchBackAfterMs: options.config.switch_back_after * 1000 });
  }

  /**
   * A consumer needs the stream (`ingest.<s>.demand`): an on-demand camera is pulled from now
   * until `on_demand_close_after` after the last demand.
   */
  demand(now = Date.now()): SourceDemandReply {
    const { on_demand: onDemand, on_demand_start_timeout: startTimeout } = this.options.config;
    if (onDemand) {
      this.lastDemandAt = now;
      this.wakeOnDemand?.();
    }
    return { on_demand: onDemand, playing: this.playing && this.live.started, start_timeout_ms: Math.round(startTimeout * 1000) };
  }

  /** On-demand and no consumer within on_demand_close_after. */
  private get unwanted(): boolean {
    const { on_demand: onDemand, on_demand_close_after: closeAfter } = this.options.config;
    // Consumers repeat their demand every DEMAND_INTERVAL_MS: closing sooner than two of them would flap.
    const closeAfterMs = Math.max(closeAfter * 1000, 2 * DEMAND_INTERVAL_MS);
    return onDemand && (this.lastDemandAt === undefined || Date.now() - this.lastDemandAt > closeAfterMs);
  }

  /** On-demand: waits, released, until a consumer asks for the stream. */
  private async awaitDemand(): Promise<void> {
    this.log.info('on-demand camera released: waiting for a consumer');
    this.live.writeStatus();
    await new Promise<void>((resolve) => {
      this.wakeOnDemand = resolve;
      this.wake = resolve;
    });
    this.wakeOnDemand = undefined;
    this.wake = undefined;
    if (!this.stopping) this.log.info('on-demand camera wanted: connecting');
  }

  get config(): StreamConfig {
    return this.options.config;
  }

  start(): void {
    if (this.running) return;
    this.live.startHeartbeat();
    this.running = this.run().catch((err: unknown) => this.log.error({ err: this.scrub(String(err)) }, 'camera puller crashed'));
  }

  /**
   * TEARDOWN, `source-stopped`, final status; `removeStatus` when the camera is gone for good.
   * `handover`: the camera moves to another ingest instance, whose `source-started` continues
   * the stream; no `source-stopped` and no "down" status, so readers and the packetizer carry
   * on instead of ending the stream (issue 13).
   */
  async stop(reason: string, removeStatus = false, handover = false): Promise<void> {
    this.stopping = true;
    this.endSession?.({ kind: 'stopped' });
    this.wake?.();
    await this.running;
    this.log.info({ reason }, 'stopped pulling');
    await this.live.end(reason, handover ? 'handover' : removeStatus ? 'removed' : 'stopped');
  }

  private async run(): Promise<void> {
    await this.live.loadGeneration();
    while (!this.stopping) {
      if (this.unwanted) {
        await this.awaitDemand();
        if (this.stopping) break;
      }
      const sourceIndex = this.selection.active;
      if (sourceIndex !== this.lastPlayedSource) {
        // Another camera: the tracks it sends are its own (a backup without audio has no audio stall).
        this.everFlowed.clear();
        this.clearErrorOnTrack = undefined;
        if (this.lastPacketAt !== undefined) await this.pause(this.lastPacketAt + SOURCE_SWITCH_QUIET_MS - Date.now());
        if (this.stopping) break;
      }
      const source = this.sources[sourceIndex];
      const result = isPublishedSource(source) ? await this.relayPublished(source.publish) : await this.pullCamera(source);
      if (result === undefined) continue;
      if (result.kind === 'stopped' || this.stopping) break;
      if (result.kind === 'primary-back') {
        // Readers stay (an outage to them) and resume at the primary's first keyframe.
        this.live.stop('switching back to the primary source');
        this.selection.returnToPrimary();
        this.log.info({ source: 0, switches: this.selection.switches }, 'primary source healthy again: switching back');
        continue;
      }
      if (result.kind === 'idle') {
        this.live.stop(`on-demand: no consumer for ${this.options.config.on_demand_close_after} s`);
        continue;
      }
      if (result.kind === 'no-udp-media') {
        this.fallBackToTcp(`no RTP over UDP within ${this.firstUdpMs / 1000} s of PLAY`);
        continue;
      }
      this.live.stop(this.scrub(result.error.message));
      await this.retryLater(result.error);
    }
    this.session = undefined;
  }

  /**
   * One RTSP session with a camera, until it ends; undefined when it did not start (the retry
   * is arranged).
   */
  private async pullCamera(source: CameraSource): Promise<SessionEnd | undefined> {
    const guard = this.options.cameraGuard;
    const credentials = sourceCredentials(source);
    const transport = this.transport;
    const { end, ended } = this.sessionEnd();
    const session = new RtspClientSession({
      url: source.url, credentials, transport, tcpFallback: this.mode === 'auto', udpPorts: this.options.udpPorts, requestTimeoutMs: this.options.requestTimeoutMs,
      sink: (track, rtcp, packets, receivedAt, newSource) => this.onMedia(track, rtcp, packets, receivedAt, newSource),
      onClosed: (error) => ended({ kind: 'closed', error }),
      onDebug: (message) => this.log.debug(this.scrub(message)),
      resolveAddress: guard ? (u) => guard.check(u) : undefined,
      tlsVerify: this.options.config.tls_verify,
    });
    this.session = session;
    this.log.info({ transport, source: this.selection.active }, `connecting to ${redactUrlCredentials(source.url)}`);
    try {
      await withSpan('camera.connect', { stream: this.name, 'rtsp.transport': transport }, () => session.start(), { kind: SpanKind.CLIENT });
    } catch (err) {
      await session.stop();
      if (this.stopping) return { kind: 'stopped' };
      if (err instanceof RtspTransportRefusedError && this.fallBackToTcp(err.message)) return undefined;
      await this.retryLater(err);
      return undefined;
    }
    if (session.transport !== transport) this.fallBackToTcp('SETUP refused UDP');
    const playingSince = Date.now();
    this.playing = true;
    // Under auto, UDP is on probation until the first packet: announce once media flows.
    const probing = this.mode === 'auto' && session.transport === 'udp';
    if (!probing) this.publishStarted(session);
    this.log.info({ transport: session.transport, tracks: session.tracks.map((t) => t.track.codec), timeout: session.sessionTimeout }, 'playing');
    const watched = (): WatchedTrack[] => session.tracks.map((t) => ({ index: t.track.index, media: t.track.media, lastPacketAt: t.lastPacketAt }));
    const result = await this.playUntilEnd(end, ended, watched, playingSince, probing);
    // Into the totals in the same turn that playing ends: status never counts this session twice or not at all.
    this.endSessionCounters(session);
    await session.stop();
    return result;
  }

  /**
   * A published backup (`publish:<key>`): the key's publication feeds the stream, relayed
   * unchanged (PublishedRelay), until it stops or stalls, or the primary is back.
   */
  private async relayPublished(key: string): Promise<SessionEnd | undefined> {
    const { end, ended } = this.sessionEnd();
    const relay = new PublishedRelay({
      bus: this.options.bus, key, startTimeoutMs: PUBLISHED_START_TIMEOUT_MS,
      onUnit: (envelope, track, receivedAt) => this.onRelayedUnit(envelope, track, receivedAt),
      onDescribed: (tracks) => this.live.describe(tracks),
      onEnded: (error) => ended({ kind: 'closed', error }),
    });
    this.log.info({ source: this.selection.active }, `taking the stream from what is published on ${key}`);
    let tracks: SourceTracks;
    try {
      tracks = await relay.start();
    } catch (err) {
      if (this.stopping) return { kind: 'stopped' };
      await this.retryLater(err);
      return undefined;
    }
    this.relay = relay;
    const playingSince = Date.now();
    this.playing = true;
    this.live.begin(tracks, undefined, 'rtmp');
    this.sourcePlaying();
    this.log.info({ key, tracks: tracks.formats?.map((f) => f.codec) }, 'relaying a published backup');
    const result = await this.playUntilEnd(end, ended, () => relay.tracks, playingSince, false);
    relay.stop();
    this.relay = undefined;
    for (const t of relay.tracks) {
      this.totals.packets += t.units;
      this.totals.bytes += t.bytes;
    }
    return result;
  }

  /** How the active source's run ends (`endSession` lets stop() end it). */
  private sessionEnd(): { end: Promise<SessionEnd>; ended: (end: SessionEnd) => void } {
    let ended: (end: SessionEnd) => void = () => undefined;
    const end = new Promise<SessionEnd>((resolve) => (ended = resolve));
    this.endSession = ended;
    return { end, ended };
  }

  /**
   * What every source does while it plays, camera or published: the stall watch over its
   * tracks, the primary probe when a backup plays, and the backoff told how long it lasted.
   */
  private async playUntilEnd(
    end: Promise<SessionEnd>, ended: (end: SessionEnd) => void, tracks: () => readonly WatchedTrack[], playingSince: number, probing: boolean,
  ): Promise<SessionEnd> {
    const watch = setInterval(() => this.watch(tracks(), playingSince, probing, ended), WATCH_INTERVAL_MS);
    if (this.selection.probingPrimary) this.startProbe();
    const result = await end;
    clearInterval(watch);
    await this.stopProbe();
    this.playing = false;
    this.backoff.sessionEnded(this.lastPacketAt !== undefined && this.lastPacketAt > playingSince ? this.lastPacketAt - playingSince : 0);
    return result;
  }

  private get firstUdpMs(): number {
    return this.options.firstUdpPacketTimeoutMs ?? UDP_FIRST_PACKET_TIMEOUT_MS;
  }

  private watch(tracks: readonly WatchedTrack[], playingSince: number, probing: boolean, ended: (end: SessionEnd) => void): void {
    const now = Date.now();
    if (probing && !this.live.started && now - playingSince > this.firstUdpMs) {
      ended({ kind: 'no-udp-media' });
      return;
    }
    const stall = findStall(tracks, playingSince, now, this.options.mediaTimeoutMs, this.everFlowed);
    if (stall) {
      const error = new RtspClientError(stall.message);
      this.stall = { error, track: stall.track };
      ended({ kind: 'closed', error });
      return;
    }
    if (this.unwanted) ended({ kind: 'idle' });
    else if (this.selection.shouldReturnToPrimary(now)) ended({ kind: 'primary-back' });
  }

  /** A backup is active: watch the primary so it can take over again once healthy. */
  private startProbe(): void {
    const guard = this.options.cameraGuard;
    this.probe = new PrimaryProbe({
      source: this.sources[0],
      udpPorts: this.options.udpPorts,
      requestTimeoutMs: this.options.requestTimeoutMs,
      tlsVerify: this.options.config.tls_verify,
      resolveAddress: guard ? (u) => guard.check(u) : undefined,
      onHealthy: (now) => this.selection.primaryHealthy(now),
      onUnhealthy: () => this.selection.primaryUnhealthy(),
      onDebug: (message) => this.log.debug(this.scrub(message)),
    });
    this.probe.start();
  }

  private async stopProbe(): Promise<void> {
    const probe = this.probe;
    this.probe = undefined;
    await probe?.stop();
  }

  private fallBackToTcp(why: string): boolean {
    if (this.mode !== 'auto' || this.transport !== 'udp') return false;
    this.log.warn(`switching to TCP: ${this.scrub(why)}`);
    this.transport = 'tcp';
    return true;
  }

  private async retryLater(err: unknown): Promise<void> {
    this.lastError = this.scrub(err instanceof Error ? err.message : String(err));
    // Recovery from a stall is the stalled track flowing again; from anything else, any media.
    const stall = this.stall;
    this.clearErrorOnTrack = stall !== undefined && stall.error === err ? stall.track : undefined;
    this.stall = undefined;
    this.lastErrorAt = Date.now();
    const failed = this.selection.active;
    const next = this.selection.failed();
    if (!next.wait) {
      // Another source is next in order: it takes over at once (readers stay, see SourceOutages).
      this.log.warn({ source: failed, next: next.source, switches: this.selection.switches }, `source failed, switching to the next: ${this.lastError}`);
      this.live.writeStatus();
      if (!this.stopping) this.reconnects++;
      return;
    }
    // The camera answered with an error (auth, status, protocol): no fast retries at it.
    const outage = !(err instanceof RtspAuthError || err instanceof RtspStatusError || err instanceof RtspProtocolViolation);
    const delay = this.backoff.next(outage);
    this.log.warn({ retryInMs: delay, attempt: this.backoff.attempts }, `camera unavailable: ${this.lastError}`);
    this.live.writeStatus();
    await this.pause(delay);
    if (!this.stopping) this.reconnects++;
  }

  /** Waits `ms` (none when ≤ 0); stop() cuts it short. */
  private async pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private onMedia(track: number, rtcp: boolean, packets: Uint8Array[], receivedAt: number, newSource: boolean): void {
    if (!this.live.started) {
      const session = this.session;
      if (rtcp || !session || session.state !== 'playing') return;
      this.publishStarted(session);
    }
    if (!rtcp) {
      this.lastPacketAt = receivedAt;
      this.everFlowed.add(track);
      if (this.lastError !== null && this.clearErrorOnTrack === track) this.recovered();
    }
    const max = this.options.bus.maxPayload - ENVELOPE_HEADER_SIZE;
    let from = 0;
    let size = 0;
    // One envelope per read unless it would not fit the bus (then several, in order; the first
    // one carries newSource).
    for (let i = 0; i < packets.length; i++) {
      const add = 2 + packets[i].byteLength;
      if (i > from && size + add > max) {
        this.publishBatch(track, rtcp, packets.slice(from, i), receivedAt, newSource && from === 0);
        from = i;
        size = 0;
      }
      size += add;
    }
    this.publishBatch(track, rtcp, from === 0 ? packets : packets.slice(from), receivedAt, newSource && from === 0);
  }

  /** The stalled track flows again: the stall is history; last_error_at keeps when it happened. */
  private recovered(): void {
    this.lastError = null;
    this.clearErrorOnTrack = undefined;
    this.live.writeStatus();
  }

  private publishBatch(track: number, rtcp: boolean, packets: Uint8Array[], receivedAt: number, newSource: boolean): void {
    // One read's packets are copied once, into a piece of the process's envelope slab.
    this.live.publishMedia(encodeEnvelope({ kind: 'rtp-batch', track, rtcp, newSource, receivedAt, packets }, READ_ENVELOPES.allocate));
  }

  /** A unit of a published backup: published unchanged on this stream's media subject. */
  private onRelayedUnit(envelope: Uint8Array, track: number, receivedAt: number): void {
    this.lastPacketAt = receivedAt;
    this.everFlowed.add(track);
    if (this.lastError !== null && this.clearErrorOnTrack === track) this.recovered();
    this.live.publishMedia(envelope);
  }

  private publishStarted(session: RtspClientSession): void {
    if (this.live.started || !session.description) return;
    const d = session.description;
    this.live.begin({ formats: d.tracks.map(sourceFormatOf), unsupported: d.unsupported.map(unsupportedSourceTrackOf) });
    this.sourcePlaying();
  }

  /** The active source delivers: the selection and the error state learn it. */
  private sourcePlaying(): void {
    this.selection.playing();
    this.lastPlayedSource = this.selection.active;
    // Playing again: the error is history (last_error_at keeps when it happened); after a
    // stall, only once the stalled track flows again (onMedia).
    if (this.clearErrorOnTrack === undefined) this.lastError = null;
    this.live.writeStatus();
  }

  /** While playing: what a packetizer taking the stream over needs. */
  description(): SourceDescription | undefined {
    return this.live.description();
  }

  private endSessionCounters(session: RtspClientSession): void {
    for (const t of session.tracks) {
      this.totals.packets += t.packets;
      this.totals.bytes += t.bytes;
      this.totals.lost += t.stats.packetsLost;
    }
  }

  private status(): RtspIngestStatus {
    const live = this.playing && !this.relay ? (this.session?.tracks ?? []) : [];
    const relayed = this.playing ? (this.relay?.tracks ?? []) : [];
    return {
      source: 'rtsp',
      connected: this.playing,
      playing: this.playing && this.live.started,
      // A published backup: what it was pushed over.
      transport: this.playing ? (this.relay ? 'rtmp' : this.transport) : null,
      packets_received: this.totals.packets + live.reduce((n, t) => n + t.packets, 0) + relayed.reduce((n, t) => n + t.units, 0),
      bytes_received: this.totals.bytes + live.reduce((n, t) => n + t.bytes, 0) + relayed.reduce((n, t) => n + t.bytes, 0),
      packets_lost: this.totals.lost + live.reduce((n, t) => n + t.stats.packetsLost, 0),
      jitter: live.reduce((j, t) => Math.max(j, t.stats.jitterSeconds), 0),
      reconnects: this.reconnects,
      last_error: this.lastError,
      last_error_at: this.lastErrorAt === null ? null : this.lastErrorAt / 1000,
      owner: this.options.owner,
      generation: this.live.generation,
      last_packet_time: this.lastPacketAt === undefined ? null : this.lastPacketAt / 1000,
      active_source: this.selection.active,
      source_switches: this.selection.switches,
      idle: !this.playing && this.unwanted,
    };
  }

  /** Credentials never leave this object: not in URLs, not verbatim (a camera may echo them). */
  private scrub(text: string): string {
    let out = redactUrlCredentials(text);
    for (const source of this.sources) {
      const password = isPublishedSource(source) ? null : source.password;
      if (password && password.length >= 3) out = out.split(password).join('***');
    }
    return out;
  }
}
