import {
  AccessUnitMessage, StreamDescription, Subjects, decodeEnvelope, decodeEnvelopeList,
} from '@streamgate/contracts';
import { Bus, Logger, Subscription, preciseNowMs } from '@streamgate/platform';
import {
  RTP_FIXED_HEADER_SIZE, RtpWallClock, buildGoodbye, buildSenderReport, joinCompound, ntpFromUnixMs, seqLessThan,
} from '@streamgate/protocol-rtp';
import { rtpSequenceNumber, rtpSsrc } from '../rtp-fields';
import { FanoutGroup, FanoutReader, ReaderCloseReason } from './fanout-reader';
import { GopCache, GopCacheLimits, auByteLength } from './gop-cache';
import { AccessUnitBatch } from './access-unit-batch';
import { MergeWindow } from './merge-window';

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
}

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
  private readonly gop: GopCache;
  private readonly videoTrack: number | undefined;
  private readonly clocks = new Map<number, TrackClock>();
  private readonly subscription: Subscription;
  private pending: AccessUnitMessage[] | undefined = [];
  /** Processed units not yet sent (in the GOP and to readers at the next flush). */
  private unsent: AccessUnitMessage[] = [];
  private flushQueued = false;
  private readonly flushTask = (): void => this.flushQueuedBatch();
  private closed = false;
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
    this.gop = new GopCache(options.gopLimits, this.videoTrack);
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
    return this.closed;
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
    for (const au of this.gop.accessUnits) {
      if (out.has(au.track) || au.packets.length === 0) continue;
      out.set(au.track, { seq: rtpSequenceNumber(au.packets[0]), rtptime: au.rtpTimestamp });
    }
    return out;
  }

  /** Adds a reader and replays the cached GOP to it at once (call right after the PLAY reply). */
  addReader(reader: FanoutReader): void {
    if (this.closed || this.slots.has(reader)) return;
    // Units gathered or held before this reader came are in the GOP it is about to receive:
    // the readers already there get them now, so the new one is not sent them twice.
    this.flush();
    this.flushMerged();
    const slot: ReaderSlot = { reader, awaitingKeyframe: this.videoTrack !== undefined && reader.wants(this.videoTrack) };
    this.slots.set(reader, slot);
    const gop = this.gop.accessUnits;
    if (gop.length > 0) this.deliver(slot, new AccessUnitBatch(gop.slice()));
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
      if (!group || slot.awaitingKeyframe) {
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
      for (const slot of this.slotList) if (slot.reader.wants(track) && !slot.awaitingKeyframe) slot.reader.writeRtcp(track, sr);
    }
  }

  /** Source stopped or shutdown: SR + BYE (RFC 3550 §6.6) to each reader, then drop them all. */
  close(reason: ReaderCloseReason): void {
    if (this.closed) return;
    // Held units go out before the goodbye.
    this.flushMerged();
    this.closed = true;
    this.subscription.unsubscribe();
    this.unsent = [];
    const now = Date.now();
    const slots = this.slotList;
    this.slots.clear();
    this.rebuildLists();
    for (const slot of slots) {
      for (const [track, clock] of this.clocks) {
        if (!slot.reader.wants(track)) continue;
        const bye = buildGoodbye({ sources: [clock.ssrc], reason: reason === 'source-stopped' ? 'source stopped' : 'server shutdown' });
        const sr = this.senderReport(clock, now);
        slot.reader.writeRtcp(track, sr ? joinCompound([sr, bye]) : bye);
      }
      slot.reader.dropped(reason);
    }
    this.gop.clear();
  }

  private async loadGop(): Promise<void> {
    let units: AccessUnitMessage[] = [];
    try {
      const reply = await this.bus.request(Subjects.gop(this.stream), new Uint8Array(0), { timeoutMs: this.options.gopRequestTimeoutMs });
      units = decodeEnvelopeList(reply.data).filter((m): m is AccessUnitMessage => m.kind === 'access-unit');
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
    for (const au of units) this.gop.add(au);
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
      batch = batch.from(start);
    }
    const sent = slot.reader.writeBatch(batch);
    if (sent >= 0) {
      this.bytesSent += sent;
      return true;
    }
    this.droppedReaders++;
    this.removeReader(slot.reader);
    this.logger.info({ stream: this.stream, transport: slot.reader.transport }, 'dropping slow reader');
    slot.reader.dropped('slow');
    return false;
  }

  private senderReport(clock: TrackClock, nowMs: number): Uint8Array | undefined {
    const rtpTs = clock.wallclock.rtpAt(nowMs);
    if (rtpTs === undefined) return undefined;
    return buildSenderReport({
      ssrc: clock.ssrc, ntp: ntpFromUnixMs(nowMs), rtpTimestamp: rtpTs,
      packetCount: clock.packets >>> 0, octetCount: clock.octets >>> 0, reports: [],
    });
  }
}
