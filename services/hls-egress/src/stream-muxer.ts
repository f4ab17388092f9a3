import { randomBytes } from 'node:crypto';
import { AccessUnitMessage, StreamDescription, Subjects, decodeEnvelope } from '@streamgate/contracts';
import { Bus, Logger, Subscription, preciseNowMs, requestGop, requestStreamDescription, withSourceDemand } from '@streamgate/platform';
import { buildInitSegment } from '@streamgate/protocol-fmp4';
import { HlsSegmenter, SegmentNames, segmentNames } from '@streamgate/protocol-hls';
import { seqLessThan } from '@streamgate/protocol-rtp';
import { MediaInput } from './media-input';
import { InitInfo, StreamTracks, VideoParameterSets, buildInitInfo, readStreamTracks } from './track-config';

export interface StreamMuxerOptions {
  segmentDurationS: number;
  partDurationS: number;
  segmentCount: number;
  lowLatency: boolean;
  describeTimeoutMs: number;
  gopTimeoutMs: number;
  /** Live units buffered while the GOP request is in flight. */
  maxPendingAccessUnits: number;
  /** Requests waiting for a part or playlist update at once (per stream). */
  maxWaiters: number;
}

export interface MuxerEvents {
  onPart(stream: string, latencyS: number): void;
  onSegment(stream: string): void;
}

type MuxerState = 'starting' | 'running' | 'closed';

interface Waiter {
  ready: () => boolean;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

export class MuxerClosedError extends Error {
  constructor(readonly stream: string, readonly why: string) {
    super(`HLS muxer of ${JSON.stringify(stream)} closed: ${why}`);
    this.name = 'MuxerClosedError';
  }
}

const rtpSeq = (packet: Uint8Array): number => (packet[2] << 8) | packet[3];

/**
 * One stream muxed to fMP4 HLS while it has HTTP readers: subscribes to `media.<s>.out`,
 * replays the packetizer's GOP so the first part is ready at once, and keeps the last segments
 * in memory. Requests that wait for a future part (blocking playlist reload, preload hints)
 * are woken when the segmenter produces one.
 */
export class StreamMuxer {
  /** File-name prefix of this muxer instance: a restarted muxer never reuses a cached URL. */
  readonly prefix = randomBytes(4).toString('hex');
  readonly names: SegmentNames = segmentNames(this.prefix);
  readonly ready: Promise<void>;
  state: MuxerState = 'starting';
  closeReason = '';
  description: StreamDescription | undefined;
  /** What the multivariant playlist says: the latest init version's codecs and resolution. */
  initInfo: InitInfo | undefined;
  segmenter: HlsSegmenter | undefined;
  lastRequestMs = Date.now();
  /** Connections that fetched something recently (HLS readers), with the time of their last request. */
  readonly clients = new Map<number, number>();
  private tracks: StreamTracks | undefined;
  private input: MediaInput | undefined;
  private subscription: Subscription | undefined;
  private pending: AccessUnitMessage[] | undefined = [];
  private readonly waiters = new Set<Waiter>();
  /**
   * Init segments by version: a new one each time the source's parameter sets change (a
   * re-publish at another resolution); kept while a held segment uses them.
   */
  private readonly inits = new Map<number, Uint8Array>();
  private initVersion = 0;
  private lastPartsProduced = 0;
  private lastSegmentsProduced = 0;

  constructor(
    readonly stream: string,
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly options: StreamMuxerOptions,
    private readonly events: MuxerEvents,
  ) {
    this.ready = this.start();
    // Readers see failures through `ready`; this keeps an unobserved failure from being unhandled.
    this.ready.catch(() => undefined);
  }

  private async start(): Promise<void> {
    let description: StreamDescription;
    try {
      // An on-demand camera at rest is woken, and its first keyframe awaited (bounded).
      description = await withSourceDemand(this.bus, this.stream, 'hls', () => requestStreamDescription(this.bus, this.stream, this.options.describeTimeoutMs));
    } catch (err) {
      this.close(err instanceof Error ? err.message : String(err));
      throw err;
    }
    if (this.isClosed) throw new MuxerClosedError(this.stream, this.closeReason);
    this.description = description;
    const tracks = readStreamTracks(description);
    if (!tracks.video && !tracks.audio) {
      const err = new MuxerClosedError(this.stream, 'no H.264, H.265 or AAC track');
      this.close(err.why);
      throw err;
    }
    this.tracks = tracks;
    this.segmenter = new HlsSegmenter({
      video: tracks.video ? { id: 1, timescale: tracks.video.track.clockRate } : undefined,
      audio: tracks.audio ? { id: 2, timescale: tracks.audio.track.clockRate } : undefined,
      segmentDurationS: this.options.segmentDurationS,
      partDurationS: this.options.partDurationS,
      segmentCount: this.options.segmentCount,
      onUpdate: () => this.onSegmenterUpdate(),
    });
    this.input = new MediaInput(tracks, this.segmenter, {
      onParameterSets: (params) => this.onParameterSets(params),
      onDropped: (reason) => this.logger.debug({ stream: this.stream, reason }, 'HLS sample dropped'),
    });
    this.buildInit();
    // Subscribe before asking for the GOP so nothing falls between the two.
    this.subscription = this.bus.subscribe(Subjects.mediaOut(this.stream), (msg) => this.onMedia(msg.data));
    let gop: AccessUnitMessage[] = [];
    try {
      gop = await requestGop(this.bus, this.stream, this.options.gopTimeoutMs);
    } catch (err) {
      this.logger.warn({ err, stream: this.stream }, 'GOP request failed; HLS starts at the next keyframe');
    }
    if (this.isClosed) throw new MuxerClosedError(this.stream, this.closeReason);
    this.input.primeDepth(gop);
    const live = this.pending ?? [];
    this.pending = undefined;
    const lastSeq = new Map<number, number>();
    for (const au of gop) this.feed(au, lastSeq);
    for (const au of live) {
      const last = lastSeq.get(au.track);
      if (last !== undefined && au.packets.length > 0 && !seqLessThan(last, rtpSeq(au.packets[0]))) continue;
      this.feed(au, lastSeq);
    }
    this.state = 'running';
    this.logger.info({ stream: this.stream, prefix: this.prefix, gopUnits: gop.length }, 'HLS muxer started');
  }

  private onMedia(data: Uint8Array): void {
    if (this.state === 'closed') return;
    let msg;
    try {
      msg = decodeEnvelope(data);
    } catch (err) {
      this.logger.warn({ err, stream: this.stream }, 'dropping undecodable media envelope');
      return;
    }
    if (msg.kind !== 'access-unit') return;
    if (this.pending) {
      if (this.pending.length < this.options.maxPendingAccessUnits) this.pending.push(msg);
      return;
    }
    this.feed(msg);
  }

  private feed(au: AccessUnitMessage, lastSeq?: Map<number, number>): void {
    if (au.packets.length === 0) return;
    lastSeq?.set(au.track, rtpSeq(au.packets[au.packets.length - 1]));
    try {
      this.input?.push(au);
    } catch (err) {
      // A malformed unit is dropped; the decoders resynchronize on the next one.
      this.logger.warn({ err, stream: this.stream }, 'HLS muxer dropped an access unit');
    }
  }

  /**
   * In-band parameter sets, in decode order; returns the init version the unit carrying them
   * (and the units after it) decodes with. Before the first segment the init is replaced in
   * place; after it, a change makes a new init version, which the segmenter starts with a
   * discontinuity (RFC 8216 §4.3.2.3) and the playlist with a new EXT-X-MAP.
   */
  private onParameterSets(found: VideoParameterSets): number {
    const video = this.tracks?.video;
    if (!video) return this.initVersion;
    const p = video.params;
    const changed = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => b !== undefined && (a === undefined || Buffer.compare(a, b) !== 0);
    if (!changed(p.sps, found.sps) && !changed(p.pps, found.pps) && !changed(p.vps, found.vps)) return this.initVersion;
    const before = { ...p };
    if (found.sps) p.sps = new Uint8Array(found.sps);
    if (found.pps) p.pps = new Uint8Array(found.pps);
    if (found.vps) p.vps = new Uint8Array(found.vps);
    const seg = this.segmenter;
    const fresh = this.inits.size === 0 || !seg || (seg.segmentsProduced === 0 && seg.building === undefined);
    if (!this.buildInit(fresh ? this.initVersion : this.initVersion + 1)) {
      video.params = before;
      return this.initVersion;
    }
    if (!fresh) this.logger.info({ stream: this.stream, initVersion: this.initVersion, resolution: this.initInfo?.resolution }, 'video parameter sets changed: new HLS init segment');
    return this.initVersion;
  }

  /** Builds the init segment of `version` from the current parameter sets; false while they are incomplete or unreadable. */
  private buildInit(version = this.initVersion): boolean {
    if (!this.tracks) return false;
    try {
      const info = buildInitInfo(this.tracks);
      if (!info) return false;
      this.inits.set(version, buildInitSegment(info.tracks));
      this.initInfo = info;
      this.initVersion = version;
      return true;
    } catch (err) {
      this.logger.warn({ err, stream: this.stream }, 'cannot build the HLS init segment from these parameter sets');
      return false;
    }
  }

  initSegment(version: number): Uint8Array | undefined {
    return this.inits.get(version);
  }

  /** Init versions older than every held segment's are dropped. */
  private dropOldInits(): void {
    const seg = this.segmenter;
    const oldest = seg?.segments[0]?.initVersion ?? seg?.building?.initVersion ?? this.initVersion;
    for (const v of this.inits.keys()) if (v < oldest) this.inits.delete(v);
  }

  private onSegmenterUpdate(): void {
    const seg = this.segmenter;
    if (!seg) return;
    if (seg.partsProduced > this.lastPartsProduced) {
      this.lastPartsProduced = seg.partsProduced;
      const building = seg.building;
      const last = building?.parts[building.parts.length - 1] ?? seg.segments[seg.segments.length - 1]?.parts.at(-1);
      if (last) this.events.onPart(this.stream, Math.max(0, (preciseNowMs() - last.wallClockEndMs) / 1000));
    }
    if (seg.segmentsProduced > this.lastSegmentsProduced) {
      this.lastSegmentsProduced = seg.segmentsProduced;
      this.dropOldInits();
      this.events.onSegment(this.stream);
    }
    for (const w of [...this.waiters]) {
      if (!w.ready()) continue;
      this.waiters.delete(w);
      clearTimeout(w.timer);
      w.resolve(true);
    }
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Whether the muxer can serve playlists: init segment built and one complete segment, so that
   * players that ignore parts (plain HLS) find a segment in the first playlist they read.
   */
  get playable(): boolean {
    return this.inits.size > 0 && (this.segmenter?.segmentsProduced ?? 0) > 0;
  }

  /**
   * Resolves true once `ready()` holds, false after `timeoutMs` or when the muxer closes.
   * Bounded: beyond maxWaiters the request is answered at once (false).
   */
  waitFor(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    if (this.state === 'closed' || this.waiters.size >= this.options.maxWaiters) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        ready,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  touch(clientId: number, nowMs: number): void {
    this.lastRequestMs = nowMs;
    this.clients.set(clientId, nowMs);
  }

  /** Readers = connections seen within `windowMs`. */
  readerCount(nowMs: number, windowMs: number): number {
    for (const [id, at] of this.clients) if (nowMs - at > windowMs) this.clients.delete(id);
    return this.clients.size;
  }

  close(why: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = why;
    this.subscription?.unsubscribe();
    this.pending = undefined;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waiters.clear();
  }
}
