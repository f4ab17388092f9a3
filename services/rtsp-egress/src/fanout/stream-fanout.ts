import {
  AccessUnitMessage, StreamDescription, Subjects, decodeEnvelope,
} from '@streamgate/contracts';
import { Bus, Logger, Subscription, preciseNowMs, requestGop } from '@streamgate/platform';
import {
  RTP_FIXED_HEADER_SIZE, RtpWallClock, buildGoodbye, buildSenderReport, joinCompound, ntpFromUnixMs, rtpSequenceNumber, rtpSsrc, seqLessThan,
} from '@streamgate/protocol-rtp';
import { FanoutGroup, FanoutReader, ReaderCloseReason } from './fanout-reader';
import { GopCache, GopCacheLimits, ParameterSets, readSdpFormats } from '@streamgate/media';
import { AccessUnitBatch } from './access-unit-batch';
import { MergeWindow } from './merge-window';
import { skippedPictureLeadIn } from './lead-in';
import { SdpParseError } from '@streamgate/protocol-sdp';

export interface StreamFanoutOptions {
  /** Called once per access unit sent to at least one reader (latency metric). */
  onAccessUnitSent?: (stream: string, receivedAt: number, nowMs: number) => void;
  gopRequestTimeoutMs: number;
  gopLimits: GopCacheLimits;
  /** Live units buffered while the GOP request is in flight. */
  maxPendingAccessUnits: number;
  /**
   * Merged writes to TCP readers once the stream has `minReaders` of them: units wait at most
   * `windowMs` to be written with the ones after them (RTSP_TCP_MERGE_MS, RTSP_TCP_MERGE_READERS).
   * Absent or windowMs 0: every batch is written at once.
   */
  tcpMerge?: { windowMs: number; minReaders: number };
  /**
   * Least pace of the GOP replay to a new UDP reader, bytes per millisecond (default
   * UDP_REPLAY_BYTES_PER_MS); a stream arriving faster than half of it is replayed at twice its
   * own rate. Sent at once, a 1080p GOP (~1 MB) overflows a reader's default socket buffer
   * (net.core.rmem_default, 208 KiB) and its first frames arrive broken.
   */
  udpReplayBytesPerMs?: number;
  /** Most bytes a UDP reader may have waiting behind its paced replay before it is dropped. */
  udpReplayMaxBytes?: number;
}

/**
 * 1.6 MB/s (12.8 Mbit/s), 16 KB per 10 ms tick: a reader descheduled for 100 ms (a machine
 * with another busy process per core) finds 160 KB waiting, within its socket buffer. At
 * 6.4 MB/s ffmpeg lost 90-224 packets of a 1080p GOP in most reads beside one busy process;
 * at 1.6 MB/s none beside two. A 1 MB GOP takes ~0.6 s; the reader renders from its keyframe
 * (the first ~0.1 s) on.
 */
export const UDP_REPLAY_BYTES_PER_MS = 1600;
/** A replay goes at least this many times the stream's own rate, so the reader catches up. */
const UDP_REPLAY_RATE_FACTOR = 2;
const UDP_REPLAY_TICK_MS = 10;
const UDP_REPLAY_MAX_BYTES = 32 * 1024 * 1024;

/** Units gathered into one batch before it is sent without waiting for the run to end. */
const MAX_BATCH_ACCESS_UNITS = 64;

export interface TrackStart {
  seq: number;
  rtptime: number;
}

export interface FanoutStats {
  readers: number;
  readersTcp: number;
  readersUdp: number;
  bytesSent: number;
  droppedReaders: number;
}

interface ReaderSlot {
  reader: FanoutReader;
  /** RFC 6184 decoders need an IDR first: nothing is sent until a video keyframe. */
  awaitingKeyframe: boolean;
  /**
   * Waiting for the keyframe of a source that came back (sourceDown): the reader resumes at it
   * without a lead-in. Its decoder is running; a lead-in is for a reader's first frame, and a
   * made-up one (a skipped picture) would refer to the picture before the outage.
   */
  resuming?: boolean;
  /** Sender reports go out right before the reader's first media packet (see startReader). */
  reportsSent: boolean;
  /**
   * Units waiting for a paced send (a UDP reader's GOP replay and what came after it);
   * `sentPackets` of the first one already went out (a keyframe larger than a tick's share);
   * `share`: bytes per tick.
   */
  backlog?: PacedBacklog;
}

interface TrackClock {
  clockRate: number;
  ssrc: number;
  /** RTP ↔ wall clock for sender reports, anchored on the least-delayed unit. */
  wallclock: RtpWallClock;
  packets: number;
  octets: number;
}

/**
 * One stream's fan-out: subscribed to `media.<s>.out` only while it exists (created for the
 * first reader, disposed after the last), it writes every access unit to every reader: TCP
 * readers get one prebuilt interleaved buffer per batch, UDP readers the packets themselves.
 * Slow TCP readers are dropped between batches, so nobody ever waits for them.
 *
 * Units delivered by the bus in one run (audio and video often come together) are gathered and
 * sent as one batch in a microtask at the end of that run: one write per TCP reader instead of
 * one per unit, for no added latency (no timer is involved). Readers of a group (UDP readers on
 * the shared socket) are handed to their group together, once they are past their first keyframe.
 * With many TCP readers, their writes may be merged over a short window (options.tcpMerge).
 */
/** The video parameter sets of the description (sprop), for keyframes that carry none in band. */
function describedParameterSets(sdp: string): ParameterSets {
  try {
    const video = readSdpFormats(sdp).tracks.find((t) => t.format.media === 'video')?.format;
    return video?.media === 'video' ? video.parameterSets : {};
  } catch (err) {
    if (err instanceof SdpParseError) return {};
    throw err;
  }
}

export class StreamFanout {
  readonly ready: Promise<void>;
  private readonly slots = new Map<FanoutReader, ReaderSlot>();
  private slotList: ReaderSlot[] = [];
  /** Readers written one by one (ungrouped, or waiting for their first keyframe), TCP apart. */
  private solo: ReaderSlot[] = [];
  private tcpSolo: ReaderSlot[] = [];
  /** Whether TCP readers get merged writes now (enough of them, see options.tcpMerge). */
  private merging = false;
  private readonly mergeWindow: MergeWindow | undefined;
  /** Readers written together, per group; each array is replaced, never changed in place. */
  private groups: Array<[FanoutGroup, FanoutReader[]]> = [];
  private readonly gop: GopCache<AccessUnitMessage>;
  private readonly videoTrack: number | undefined;
  private readonly clocks = new Map<number, TrackClock>();
  private readonly subscription: Subscription;
  private pending: AccessUnitMessage[] | undefined = [];
  /** Processed units not yet sent (in the GOP and to readers at the next flush). */
  private unsent: AccessUnitMessage[] = [];
  private flushQueued = false;
  private readonly flushTask = (): void => this.flushQueuedBatch();
  /** Why it closed (undefined while open): a reader added after that is told so at once (addReader). */
  private closedFor: ReaderCloseReason | undefined;
  private paceTimer: NodeJS.Timeout | undefined;
  private bytesSent = 0;
  private droppedReaders = 0;

  constructor(
    readonly stream: string,
    readonly description: StreamDescription,
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly options: StreamFanoutOptions,
  ) {
    this.videoTrack = description.tracks.find((t) => t.media === 'video')?.id;
    for (const t of description.tracks) this.clocks.set(t.id, { clockRate: t.clockRate, ssrc: t.ssrc, packets: 0, octets: 0, wallclock: new RtpWallClock({ clockRate: t.clockRate }) });
    const video = description.tracks.find((t) => t.id === this.videoTrack);
    const sets = video ? describedParameterSets(description.sdp) : {};
    this.gop = new GopCache<AccessUnitMessage>(options.gopLimits, auByteLength, video && ((keyframe) => skippedPictureLeadIn(keyframe, video, sets)));
    if (options.tcpMerge && options.tcpMerge.windowMs > 0) {
      this.mergeWindow = new MergeWindow(options.tcpMerge.windowMs, () => this.flushMergedSafely());
    }
    // Subscribe before asking for the GOP so nothing falls between the two; duplicates are
    // removed by sequence number when the GOP arrives.
    this.subscription = bus.subscribe(Subjects.mediaOut(stream), (msg) => this.onMedia(msg.data));
    this.ready = this.loadGop();
  }

  get readerCount(): number {
    return this.slots.size;
  }

  get isClosed(): boolean {
    return this.closedFor !== undefined;
  }

  private get closed(): boolean {
    return this.closedFor !== undefined;
  }

  stats(): FanoutStats {
    let tcp = 0;
    for (const slot of this.slotList) if (slot.reader.transport === 'tcp') tcp++;
    return { readers: this.slots.size, readersTcp: tcp, readersUdp: this.slots.size - tcp, bytesSent: this.bytesSent, droppedReaders: this.droppedReaders };
  }

  /** Sequence number and RTP time of the first packet a reader added now receives, per track. */
  startInfo(): Map<number, TrackStart> {
    this.flush();
    const out = new Map<number, TrackStart>();
    for (const au of this.gop.replay) {
      if (out.has(au.track) || au.packets.length === 0) continue;
      out.set(au.track, { seq: rtpSequenceNumber(au.packets[0]), rtptime: au.rtpTimestamp });
    }
    return out;
  }

  /**
   * Adds a reader (call right after the PLAY reply) and starts it as docs/architecture.md
   * "Reader start" says: a sender report per track, then the lead-in and the cached GOP, at
   * once over TCP (flow-controlled), paced over UDP; without a GOP, from the next keyframe.
   */
  addReader(reader: FanoutReader): void {
    if (this.slots.has(reader)) return;
    if (this.closedFor !== undefined) {
      // Closed while its PLAY was answered (the source stopped meanwhile): told like the others,
      // not left playing a stream that sends nothing (GStreamer waited for data forever).
      this.goodbye(reader, this.closedFor, Date.now());
      return;
    }
    // Units gathered or held before this reader came are in the GOP it is about to receive:
    // the readers already there get them now, so the new one is not sent them twice.
    this.flush();
    this.flushMerged();
    const slot: ReaderSlot = { reader, awaitingKeyframe: this.videoTrack !== undefined && reader.wants(this.videoTrack), reportsSent: false };
    this.slots.set(reader, slot);
    const replay = this.gop.replay;
    if (replay.length > 0) {
      // The replay starts with the lead-in (a non-keyframe) on purpose; its keyframe follows.
      slot.awaitingKeyframe = false;
      if (reader.transport === 'udp') {
        this.sendStartReports(slot);
        const bytes = replay.reduce((n, au) => n + auByteLength(au), 0);
        slot.backlog = { units: replay, bytes, sentPackets: 0, share: this.replayShare(replay, bytes) };
        this.paceBacklogs(0);
      } else {
        this.deliver(slot, new AccessUnitBatch(replay));
      }
    }
    if (this.slots.has(reader)) this.rebuildLists();
  }

  /** Removes a reader without notifying it (PAUSE, TEARDOWN, connection gone). */
  removeReader(reader: FanoutReader): void {
    if (!this.slots.delete(reader)) return;
    this.rebuildLists();
  }

  private rebuildLists(): void {
    this.slotList = [...this.slots.values()];
    const solo: ReaderSlot[] = [];
    const tcpSolo: ReaderSlot[] = [];
    const groups = new Map<FanoutGroup, FanoutReader[]>();
    for (const slot of this.slotList) {
      const group = slot.reader.group;
      if (!group || slot.awaitingKeyframe || slot.backlog) {
        (slot.reader.transport === 'tcp' ? tcpSolo : solo).push(slot);
        continue;
      }
      const members = groups.get(group);
      if (members) members.push(slot.reader);
      else groups.set(group, [slot.reader]);
    }
    this.solo = solo;
    this.tcpSolo = tcpSolo;
    this.groups = [...groups];
    const merge = this.options.tcpMerge;
    this.merging = this.mergeWindow !== undefined && merge !== undefined && tcpSolo.length >= merge.minReaders;
  }

  /** One SR per track (RFC 3550 §6.4.1), shared by every reader of the stream. */
  sendSenderReports(nowMs: number): void {
    if (this.slots.size === 0) return;
    for (const [track, clock] of this.clocks) {
      const sr = this.senderReport(clock, nowMs);
      if (!sr) continue;
      // Readers that started go on getting reports while they wait for a keyframe (an outage).
      for (const slot of this.slotList) if (slot.reader.wants(track) && slot.reportsSent) slot.reader.writeRtcp(track, sr);
    }
  }

  /**
   * The source is down and will come back as a new generation (same SSRCs, timestamps and
   * sequence numbers continuing: the packetizer's TimelineContinuity): its GOP is stale, and
   * every reader resumes at the next keyframe. Sender reports go on.
   */
  sourceDown(): void {
    this.flushMerged();
    this.flush();
    this.gop.clear();
    for (const slot of this.slotList) {
      if (this.videoTrack !== undefined && slot.reader.wants(this.videoTrack)) {
        slot.awaitingKeyframe = true;
        slot.resuming = true;
      }
    }
    this.rebuildLists();
  }

  /** Source stopped or shutdown: SR + BYE (RFC 3550 §6.6) to each reader, then drop them all. */
  close(reason: ReaderCloseReason): void {
    if (this.closed) return;
    // Held units go out before the goodbye.
    this.flushMerged();
    this.closedFor = reason;
    clearTimeout(this.paceTimer);
    this.subscription.unsubscribe();
    this.unsent = [];
    const now = Date.now();
    const slots = this.slotList;
    this.slots.clear();
    this.rebuildLists();
    for (const slot of slots) this.goodbye(slot.reader, reason, now);
    this.gop.clear();
  }

  /** SR + BYE (RFC 3550 §6.6) on each of the reader's tracks, then the reader is dropped. */
  private goodbye(reader: FanoutReader, reason: ReaderCloseReason, now: number): void {
    for (const [track, clock] of this.clocks) {
      if (!reader.wants(track)) continue;
      const bye = buildGoodbye({ sources: [clock.ssrc], reason: reason === 'source-stopped' ? 'source stopped' : 'server shutdown' });
      const sr = this.senderReport(clock, now);
      reader.writeRtcp(track, sr ? joinCompound([sr, bye]) : bye);
    }
    reader.dropped(reason);
  }

  private async loadGop(): Promise<void> {
    let units: AccessUnitMessage[] = [];
    try {
      units = await requestGop(this.bus, this.stream, this.options.gopRequestTimeoutMs);
    } catch (err) {
      // A missing GOP only delays the first picture until the next keyframe.
      this.logger.warn({ err, stream: this.stream }, 'GOP request failed; readers wait for the next keyframe');
    }
    const live = this.pending ?? [];
    this.pending = undefined;
    if (this.closed) return;
    const lastSeq = new Map<number, number>();
    for (const au of units) this.process(au, lastSeq);
    for (const au of live) {
      const last = lastSeq.get(au.track);
      if (last !== undefined && au.packets.length > 0 && !seqLessThan(last, rtpSequenceNumber(au.packets[0]))) continue;
      this.process(au, lastSeq);
    }
  }

  private onMedia(data: Uint8Array): void {
    if (this.closed) return;
    let au: AccessUnitMessage;
    try {
      const msg = decodeEnvelope(data);
      if (msg.kind !== 'access-unit') return;
      au = msg;
    } catch (err) {
      this.logger.warn({ err, stream: this.stream }, 'dropping undecodable media envelope');
      return;
    }
    if (this.pending) {
      if (this.pending.length < this.options.maxPendingAccessUnits) this.pending.push(au);
      return;
    }
    this.process(au);
  }

  private process(au: AccessUnitMessage, lastSeq?: Map<number, number>): void {
    const clock = this.clocks.get(au.track);
    if (!clock || au.packets.length === 0) return;
    clock.wallclock.observe(au.rtpTimestamp, au.receivedAt);
    clock.packets += au.packets.length;
    clock.octets += auByteLength(au) - RTP_FIXED_HEADER_SIZE * au.packets.length;
    clock.ssrc = rtpSsrc(au.packets[0]);
    lastSeq?.set(au.track, rtpSequenceNumber(au.packets[au.packets.length - 1]));
    this.unsent.push(au);
    if (this.unsent.length >= MAX_BATCH_ACCESS_UNITS) {
      this.flush();
    } else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushTask);
    }
  }

  private flushQueuedBatch(): void {
    this.flushQueued = false;
    try {
      this.flush();
    } catch (err) {
      // Nothing above a microtask would catch this; the next batch starts clean.
      this.logger.error({ err, stream: this.stream }, 'fan-out batch failed');
    }
  }

  /** Adds the unsent units to the GOP and sends them to every reader as one batch. */
  private flush(): void {
    const units = this.unsent;
    if (units.length === 0 || this.closed) return;
    this.unsent = [];
    // A stream without video has no GOP to cache.
    if (this.videoTrack !== undefined) for (const au of units) this.gop.add(au, au.track === this.videoTrack && au.keyframe, au.track === this.videoTrack);
    if (this.slotList.length === 0) return;
    const batch = new AccessUnitBatch(units);
    const groups = this.groups;
    let joined = false;
    for (const slot of this.solo) {
      const waiting = slot.awaitingKeyframe;
      if (this.deliver(slot, batch) && waiting && !slot.awaitingKeyframe && slot.reader.group) joined = true;
    }
    // The arrays taken before the solo writes: a reader joining its group now got this batch.
    for (const [group, readers] of groups) this.bytesSent += group.writeBatch(batch, readers);
    if (joined) this.rebuildLists();
    if (this.merging && this.mergeWindow) {
      // Sent (for the latency metric) when the TCP readers get them.
      this.mergeWindow.add(units);
      return;
    }
    // Units still held from when there were more TCP readers go first, in order.
    this.flushMerged();
    for (const slot of this.tcpSolo) this.deliver(slot, batch);
    this.unitsSent(units);
  }

  /** Writes the units held for merged writes to every TCP reader. */
  private flushMerged(): void {
    if (!this.mergeWindow?.pending) return;
    const units = this.mergeWindow.take();
    if (this.closed) return;
    const batch = new AccessUnitBatch(units);
    for (const slot of this.tcpSolo) this.deliver(slot, batch);
    this.unitsSent(units);
  }

  private flushMergedSafely(): void {
    try {
      this.flushMerged();
    } catch (err) {
      this.logger.error({ err, stream: this.stream }, 'merged TCP write failed');
    }
  }

  private unitsSent(units: readonly AccessUnitMessage[]): void {
    const onSent = this.options.onAccessUnitSent;
    if (!onSent) return;
    // Sub-millisecond, like the `receivedAt` stamps ingest puts on units (preciseNowMs).
    const now = preciseNowMs();
    for (const au of units) onSent(this.stream, au.receivedAt, now);
  }

  /** Returns false when the reader was dropped. */
  private deliver(slot: ReaderSlot, batch: AccessUnitBatch): boolean {
    if (slot.awaitingKeyframe) {
      const start = batch.units.findIndex((au) => au.track === this.videoTrack && au.keyframe);
      if (start < 0) return true;
      slot.awaitingKeyframe = false;
      // Led in like a replay (GopCache says why); the units are already in the GOP (flush).
      const leadIn = slot.resuming ? undefined : this.gop.leadInOf(batch.units[start]);
      slot.resuming = false;
      batch = leadIn ? new AccessUnitBatch([leadIn, ...batch.units.slice(start)]) : batch.from(start);
    }
    if (slot.backlog) {
      // Behind a paced replay: live units wait their turn, so the reader gets them in order.
      for (const au of batch.units) {
        slot.backlog.units.push(au);
        slot.backlog.bytes += auByteLength(au);
      }
      if (slot.backlog.bytes <= (this.options.udpReplayMaxBytes ?? UDP_REPLAY_MAX_BYTES)) return true;
      return this.drop(slot, 'slow');
    }
    return this.write(slot, batch);
  }

  /** Writes the batch to the reader now (after its start reports); false when it was dropped. */
  private write(slot: ReaderSlot, batch: AccessUnitBatch): boolean {
    this.sendStartReports(slot);
    const sent = slot.reader.writeBatch(batch);
    if (sent >= 0) {
      this.bytesSent += sent;
      return true;
    }
    return this.drop(slot, 'slow');
  }

  private drop(slot: ReaderSlot, reason: ReaderCloseReason): false {
    this.droppedReaders++;
    this.removeReader(slot.reader);
    this.logger.info({ stream: this.stream, transport: slot.reader.transport }, 'dropping slow reader');
    slot.reader.dropped(reason);
    return false;
  }

  /**
   * A sender report per track before a reader's first media packet, so it maps RTP time to
   * wall clock (and aligns audio with video) from the first frame instead of after the first
   * periodic report seconds later (RFC 6051 §3: an initial RTCP packet at once on joining).
   */
  private sendStartReports(slot: ReaderSlot): void {
    if (slot.reportsSent) return;
    slot.reportsSent = true;
    const now = Date.now();
    for (const [track, clock] of this.clocks) {
      if (!slot.reader.wants(track)) continue;
      const sr = this.senderReport(clock, now);
      if (sr) slot.reader.writeRtcp(track, sr);
    }
  }

  /** Sends each paced backlog its share for one tick; re-arms while any backlog remains. */
  private paceBacklogs(delayMs: number): void {
    if (this.paceTimer || this.closed) return;
    this.paceTimer = setTimeout(() => {
      this.paceTimer = undefined;
      try {
        this.paceTick();
      } catch (err) {
        this.logger.error({ err, stream: this.stream }, 'paced replay failed');
      }
    }, delayMs);
  }

  /** Bytes per tick for a replay of `bytes` (the GOP): the least pace, or twice the stream's rate. */
  private replayShare(replay: readonly AccessUnitMessage[], bytes: number): number {
    const floor = this.options.udpReplayBytesPerMs ?? UDP_REPLAY_BYTES_PER_MS;
    const spanMs = replay.length > 1 ? replay[replay.length - 1].receivedAt - replay[0].receivedAt : 0;
    const streamRate = spanMs > 0 ? bytes / spanMs : 0;
    return Math.ceil(Math.max(floor, UDP_REPLAY_RATE_FACTOR * streamRate) * UDP_REPLAY_TICK_MS);
  }

  private paceTick(): void {
    if (this.closed) return;
    let pending = false;
    let joined = false;
    for (const slot of this.slotList) {
      const backlog = slot.backlog;
      if (!backlog) continue;
      const chunk = takeShare(backlog);
      if (backlog.units.length === 0) {
        slot.backlog = undefined;
        joined = true;
      } else {
        pending = true;
      }
      if (chunk.length > 0) this.write(slot, new AccessUnitBatch(chunk));
    }
    // Caught-up readers join their group for the next batch.
    if (joined) this.rebuildLists();
    if (pending) this.paceBacklogs(UDP_REPLAY_TICK_MS);
  }

  private senderReport(clock: TrackClock, nowMs: number): Uint8Array | undefined {
    const rtpTs = clock.wallclock.rtpForReport(nowMs);
    if (rtpTs === undefined) return undefined;
    return buildSenderReport({
      ssrc: clock.ssrc, ntp: ntpFromUnixMs(nowMs), rtpTimestamp: rtpTs,
      packetCount: clock.packets >>> 0, octetCount: clock.octets >>> 0, reports: [],
    });
  }
}

interface PacedBacklog {
  units: AccessUnitMessage[];
  bytes: number;
  sentPackets: number;
  share: number;
}

/**
 * Up to `share` bytes of packets from the front of a backlog (at least one packet), removed
 * from it. A unit larger than the share is split across ticks: a 1080p keyframe (200–400 kB)
 * sent whole would by itself overflow a reader's default socket buffer (208 KiB of kernel
 * accounting, ~100 kB of datagrams on loopback). Over UDP a reader loses nothing by getting a
 * unit in parts; the parts are the same packet buffers, not copies.
 */
function takeShare(backlog: PacedBacklog): AccessUnitMessage[] {
  const budget = backlog.share;
  const chunk: AccessUnitMessage[] = [];
  let bytes = 0;
  let whole = 0;
  while (whole < backlog.units.length) {
    const au = backlog.units[whole];
    const first = backlog.sentPackets;
    let end = first;
    while (end < au.packets.length && (bytes === 0 || bytes + au.packets[end].byteLength <= budget)) bytes += au.packets[end++].byteLength;
    if (end === first) break;
    chunk.push(first === 0 && end === au.packets.length ? au : { ...au, packets: au.packets.slice(first, end) });
    if (end < au.packets.length) {
      backlog.sentPackets = end;
      break;
    }
    backlog.sentPackets = 0;
    whole++;
  }
  backlog.units.splice(0, whole);
  backlog.bytes -= bytes;
  return chunk;
}

function auByteLength(au: AccessUnitMessage): number {
  let n = 0;
  for (const p of au.packets) n += p.byteLength;
  return n;
}
