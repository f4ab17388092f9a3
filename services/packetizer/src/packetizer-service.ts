/**
 * Bus adapter around the per-stream processors: media.*.in and stream.*.events in;
 * media.<s>.out, describe/gop/frame replies and status/<s>/packetizer out.
 * Every handler catches what the input can cause; one stream's bad input never touches another.
 */
import { StreamAssignment, StreamAssignmentOptions } from './stream-assignment';
import {
  AccessUnitMessage, BusErrorReply, FrameMessage, ContractError, decodeEnvelope, decodeJson, encodeEnvelope,
  encodeEnvelopeList, encodeJson, EnvelopeError, formatOfSource, joinEnvelopeList, sealAccessUnitEnvelope, SourceFormatError, isValidStreamName, MediaMessage, StreamDescription, StreamEvent, Subjects, streamFromSubject, IngestSubjects, SourceDescription, encodeStatus, statusKey, STATUS_TTL_MS } from '@streamgate/contracts';
import { BusMessage, InProcessBus, ServiceContext, StatusMetrics, Subscription, unwrapBus } from '@streamgate/platform';
import { joinAnnexB } from '@streamgate/codec';
import { VIDEO_CLOCK_RATE, videoCodec } from '@streamgate/media';
import { parseRtpPacket, setRtpTimestamp } from '@streamgate/protocol-rtp';
import { AccessUnitOut, VIDEO_TRACK } from './media/access-unit';
import { SourceInputError } from './pipeline/errors';
import { StreamState } from './stream-state';
import { OUTPUT_HANDOVER_TTL_MS, OutputHandover, outputHandoverKey, parseOutputHandover } from './output-identity';

/** Control-plane requests the packetizer answers (the Nest controller hands them in). */
export type PacketizerRequest = 'describe' | 'gop' | 'frame';

/** The @MessagePattern of each request (wildcards; concrete subjects are attached per stream). */
export const CONTROL_PATTERNS: Record<PacketizerRequest, string> = {
  describe: Subjects.allDescribe,
  gop: Subjects.allGop,
  frame: Subjects.allLatestFrame,
};

/** Attaches a concrete subject to a control pattern's handler (BusTransport.attach). */
export interface ControlAttach {
  attach(pattern: string, subject: string): Subscription;
}

export interface PacketizerOptions {
  /**
   * The Nest microservice transport its control handlers run on (startPacketizer sets it);
   * without one, requests are answered from plain bus subscriptions.
   */
  control?: ControlAttach;
  /** GOP cache bounds. Defaults 2000 AUs / 32 MiB (also capped below the bus payload limit). */
  gopMaxUnits?: number;
  gopMaxBytes?: number;
  /** How long a DESCRIBE waits for a stream that is publishing but not ready yet, ms. Default 1500. */
  describeWaitMs?: number;
  /** Status write period, ms. Default 1000. */
  statusIntervalMs?: number;
  /** Streams stopped and idle this long are forgotten, ms. Default 10 min. */
  idleEvictMs?: number;
  now?: () => number;
  /**
   * 'all': handle every stream (one packetizer: the in-process bus). 'leased': share streams
   * with the other packetizers through leases (NATS). Default by bus driver.
   */
  assignment?: 'all' | 'leased';
  /** Leased mode tuning (tests shorten the rounds). */
  leases?: Pick<StreamAssignmentOptions, 'tickMs' | 'leaseTtlMs' | 'instanceId'>;
}

const MALFORMED_LOG_INTERVAL_MS = 60_000;
/** How long taking a stream over waits for the previous owner's handover before going on without. */
const HANDOVER_READ_TIMEOUT_MS = 500;
const MAX_PENDING_DESCRIBES = 64;

/** Subjects remembered by streamName before the memory starts over (a few per stream). */
const MAX_SUBJECT_CACHE = 8192;

export class PacketizerService {
  private readonly streams = new Map<string, StreamState>();
  /** Subject → its stream name (undefined: not a stream subject), see streamName. */
  private readonly subjectStreams = new Map<string, string | undefined>();
  private readonly subscriptions: Subscription[] = [];
  private readonly pendingDescribes = new Map<string, Array<{ msg: BusMessage; timer: NodeJS.Timeout }>>();
  private statusTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly gopLimits: { maxUnits: number; maxBytes: number };
  private readonly describeWaitMs: number;
  private readonly idleEvictMs: number;
  private readonly statusMetrics: StatusMetrics;
  /** Leased mode (several packetizers): which streams are ours, and their subscriptions. */
  private readonly assignment: StreamAssignment | undefined;
  private readonly owned = new Map<string, Subscription[]>();
  /** When each owned stream last asked ingest for its source description. */
  private readonly sourceAskedAt = new Map<string, number>();
  /** Leased mode: the previous owner's output of streams just taken over, for their new state. */
  private readonly handovers = new Map<string, OutputHandover>();

  constructor(private readonly ctx: ServiceContext, private readonly options: PacketizerOptions = {}) {
    this.statusMetrics = new StatusMetrics(ctx.metrics);
    this.now = options.now ?? Date.now;
    // A GOP reply must fit one bus message.
    const busCap = Math.max(64 * 1024, ctx.bus.maxPayload - 64 * 1024);
    this.gopLimits = { maxUnits: options.gopMaxUnits ?? 2000, maxBytes: Math.min(options.gopMaxBytes ?? 32 * 1024 * 1024, busCap) };
    this.describeWaitMs = options.describeWaitMs ?? 1500;
    this.idleEvictMs = options.idleEvictMs ?? 10 * 60_000;
    const mode = options.assignment ?? (unwrapBus(ctx.bus) instanceof InProcessBus ? 'all' : 'leased');
    if (mode === 'leased') {
      this.assignment = new StreamAssignment(ctx, {
        ...options.leases,
        onAcquire: (stream) => this.acquire(stream),
        onRelease: (stream) => this.release(stream),
      });
    }
  }

  /** Leased mode: this instance now handles `stream`. */
  private async acquire(stream: string): Promise<void> {
    const bus = this.ctx.bus;
    // The previous owner's timelines and sequence numbers, continued (output-identity.ts).
    const handover = await this.readHandover(stream);
    if (handover && !this.streams.has(stream)) this.handovers.set(stream, handover);
    this.owned.set(stream, [
      bus.subscribe(Subjects.mediaIn(stream), (m) => this.guard(m, this.onMedia)),
      this.attachControl('describe', Subjects.describe(stream)),
      this.attachControl('gop', Subjects.gop(stream)),
      this.attachControl('frame', Subjects.latestFrame(stream)),
    ]);
    this.ctx.logger.info({ stream, instance: this.assignment?.instanceId }, 'packetizer took the stream');
    // Joining a live source: its configuration (SDP or sequence headers) went by already.
    await this.askSource(stream);
  }

  /**
   * Asks ingest for the live source's description (at most once a second per stream). Also
   * called when media arrives that we cannot interpret: the `source-started` may have been
   * lost (NATS was down while the source moved), and the media must not stay uninterpretable.
   */
  private async askSource(stream: string): Promise<void> {
    const now = this.now();
    if (now - (this.sourceAskedAt.get(stream) ?? -Infinity) < 1000) return;
    this.sourceAskedAt.set(stream, now);
    try {
      const reply = await this.ctx.bus.request(IngestSubjects.source(stream), new Uint8Array(0), { timeoutMs: 2000 });
      if (this.owned.has(stream)) this.applySourceDescription(decodeJson(SourceDescription, reply.subject, reply.data));
    } catch (err) {
      this.ctx.logger.warn({ stream, err: (err as Error).message }, 'no source description from ingest; waiting for the next source-started');
    }
  }

  private async release(stream: string): Promise<void> {
    for (const sub of this.owned.get(stream) ?? []) sub.unsubscribe();
    this.owned.delete(stream);
    this.sourceAskedAt.delete(stream);
    this.handovers.delete(stream);
    // Handed to another packetizer (rebalancing, shutdown): it continues from where we stop.
    const st = this.streams.get(stream);
    if (st) await this.writeHandover(stream, st, this.now());
    this.streams.get(stream)?.reset();
    this.streams.delete(stream);
    await this.ctx.store.delete(statusKey(stream, 'packetizer')).catch((err: unknown) => this.ctx.logger.warn({ err, stream }, 'status delete failed'));
  }

  private applySourceDescription(d: SourceDescription): void {
    this.handleEvent(d.stream, { type: 'source-started', stream: d.stream, source: d.source, at: this.now(), generation: d.generation, formats: d.formats, unsupported: d.unsupported });
  }

  async start(): Promise<void> {
    const bus = this.ctx.bus;
    this.subscriptions.push(bus.subscribe(Subjects.allStreamEvents, (m) => this.guard(m, this.onEvent)));
    if (this.assignment) {
      await this.assignment.start();
    } else {
      // One process, one packetizer: it handles every stream, with no gap at a stream's start.
      this.subscriptions.push(
        bus.subscribe(Subjects.allMediaIn, (m) => this.guard(m, this.onMedia)),
        this.attachControl('describe', Subjects.allDescribe),
        this.attachControl('gop', Subjects.allGop),
        this.attachControl('frame', Subjects.allLatestFrame),
      );
    }
    this.statusTimer = setInterval(() => void this.writeStatus(), this.options.statusIntervalMs ?? 1000);
    this.statusTimer.unref();
  }

  async stop(): Promise<void> {
    await this.assignment?.stop();
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions.length = 0;
    if (this.statusTimer) clearInterval(this.statusTimer);
    for (const [stream, pending] of this.pendingDescribes) {
      for (const p of pending) {
        clearTimeout(p.timer);
        this.replyNotFound(p.msg, stream);
      }
    }
    this.pendingDescribes.clear();
    await Promise.all([...this.streams.keys()].map((s) => this.ctx.store.delete(statusKey(s, 'packetizer'))));
  }

  /** Test and status access. */
  stream(name: string): StreamState | undefined {
    return this.streams.get(name);
  }

  /** Answers a control-plane request (describe, GOP, latest frame); replies go through `msg`. */
  answer(request: PacketizerRequest, msg: BusMessage): void {
    this.guard(msg, request === 'describe' ? this.onDescribe : request === 'gop' ? this.onGop : this.onLatestFrame);
  }

  private attachControl(request: PacketizerRequest, subject: string): Subscription {
    if (this.options.control) return this.options.control.attach(CONTROL_PATTERNS[request], subject);
    return this.ctx.bus.subscribe(subject, (m) => this.answer(request, m));
  }

  /** Runs one of our handlers on `msg` (a method, called on this: no closure per message). */
  private guard(msg: BusMessage, handle: (this: PacketizerService, msg: BusMessage) => void): void {
    try {
      handle.call(this, msg);
    } catch (err) {
      this.ctx.logger.error({ err, subject: msg.subject }, 'packetizer handler failed');
    }
  }

  private streamName(subject: string): string | undefined {
    // Every media message asks this of one of a few subjects: split and check each once.
    let s = this.subjectStreams.get(subject);
    if (s === undefined && !this.subjectStreams.has(subject)) {
      const name = streamFromSubject(subject);
      s = name !== undefined && isValidStreamName(name) ? name : undefined;
      if (this.subjectStreams.size >= MAX_SUBJECT_CACHE) this.subjectStreams.clear();
      this.subjectStreams.set(subject, s);
    }
    return s;
  }

  private state(stream: string): StreamState {
    let st = this.streams.get(stream);
    if (!st) {
      const handover = this.handovers.get(stream);
      this.handovers.delete(stream);
      st = new StreamState(stream, {
        maxPayloadSize: this.ctx.config.RTP_MAX_PAYLOAD, gop: this.gopLimits, now: this.now(), handover,
        onMalformed: (err) => {
          const current = this.streams.get(stream);
          if (current) this.malformed(current, err);
        },
      });
      this.streams.set(stream, st);
    }
    return st;
  }

  private onMedia(msg: BusMessage): void {
    const stream = this.streamName(msg.subject);
    if (!stream) return;
    const st = this.state(stream);
    let media: MediaMessage;
    try {
      media = decodeEnvelope(msg.data);
    } catch (err) {
      if (err instanceof EnvelopeError) return this.malformed(st, err);
      throw err;
    }
    this.handleMedia(stream, media);
  }

  private handleMedia(stream: string, media: MediaMessage): void {
    const st = this.state(stream);
    const now = this.now();
    if (media.kind !== 'rtp-batch' && media.kind !== 'codec-unit') return;
    // Without the source's formats (source-started) the media cannot be interpreted.
    if (!st.pipeline.configured || (media.kind === 'rtp-batch') !== (st.source === 'rtsp')) {
      if (this.owned.has(stream)) void this.askSource(stream);
      return this.malformed(st, new SourceInputError(`${media.kind} before a source-started with formats of its kind`));
    }
    let units: AccessUnitOut[];
    if (media.kind === 'rtp-batch') {
      st.countInput(totalBytes(media.packets), now);
      units = st.pipeline.processBatch(media);
    } else {
      st.countInput(totalBytes(media.payloads), now);
      units = st.pipeline.processUnit(media, media.receivedAt);
    }
    this.publishUnits(stream, st, units, now);
  }

  /** One AccessUnitMessage per unit on media.<s>.out, into the GOP cache and latest frame. */
  private publishUnits(stream: string, st: StreamState, units: readonly AccessUnitOut[], now: number): void {
    for (const au of units) {
      const rtpTimestamp = this.continueTimeline(st, au, au.receivedAt);
      const out: AccessUnitMessage = {
        kind: 'access-unit', track: au.track, keyframe: au.keyframe, rtpTimestamp, receivedAt: au.receivedAt, packets: au.packets,
      };
      const bytes = sealAccessUnitEnvelope(au.framed, au.packets.length, out);
      st.gop.add(bytes, au.track === VIDEO_TRACK && au.keyframe, au.track === VIDEO_TRACK);
      if (au.track === VIDEO_TRACK && au.nalus) {
        const codec = st.pipeline.videoConfig?.codec === 'H265' ? 'h265' : 'h264';
        st.latestFrame = { codec, nalus: au.nalus, keyframe: au.keyframe, receivedAt: out.receivedAt };
        // Kept until the next keyframe (seconds): a copy, since single NAL units are views into
        // ingest's envelope, whose slab would be kept with them.
        if (au.keyframe) st.latestKeyframe = { ...st.latestFrame, nalus: au.nalus.map((n) => new Uint8Array(n)) };
        st.countVideoFrame(now);
      }
      this.ctx.bus.publish(st.mediaOutSubject, bytes);
    }
    if (this.pendingDescribes.has(stream) && st.isReady()) this.flushDescribes(stream);
  }

  /**
   * The unit's timestamp on the stream's continuous output timeline (across source
   * generations, TimelineContinuity); its packets' RTP headers are rewritten when it moved.
   */
  private continueTimeline(st: StreamState, au: AccessUnitOut, arrivalMs: number): number {
    const clockRate = au.track === VIDEO_TRACK ? VIDEO_CLOCK_RATE : st.pipeline.audioConfig?.clockRate;
    if (clockRate === undefined) return au.rtpTimestamp;
    // The arrival time egress's sender-report mapping sees too (AccessUnitMessage.receivedAt).
    const ts = st.timeline(au.track, clockRate).map(au.rtpTimestamp, arrivalMs);
    // RFC 3550 §5.1: the timestamp is bytes 4-7 of the fixed header; the packets are ours.
    if (ts !== au.rtpTimestamp) for (const p of au.packets) setRtpTimestamp(p, ts);
    return ts;
  }

  private onEvent(msg: BusMessage): void {
    const stream = this.streamName(msg.subject);
    if (!stream) return;
    let event: StreamEvent;
    try {
      event = decodeJson(StreamEvent, msg.subject, msg.data);
    } catch (err) {
      if (err instanceof ContractError) return this.malformed(this.state(stream), err);
      throw err;
    }
    // A camera moving between ingest instances: the old owner's stop can arrive after the new
    // owner's start. A stop of a generation other than the live one is stale; acting on it
    // would stop the stream the new owner is feeding.
    const current = this.streams.get(stream);
    if (event.type === 'source-stopped' && current?.live && current.generation !== event.generation) return;
    if (this.assignment && !this.owned.has(stream)) {
      // Not ours (yet): a start makes us take part in its assignment at once.
      if (event.type === 'source-started') this.assignment.noteStarted(stream);
      else this.assignment.noteStopped(stream);
      return;
    }
    if (event.type === 'source-stopped') this.assignment?.noteStopped(stream);
    this.handleEvent(stream, event);
  }

  private handleEvent(stream: string, event: StreamEvent): void {
    const st = this.state(stream);
    if (event.type === 'source-started') {
      const newGeneration = event.generation !== st.generation || event.source !== st.source;
      if (newGeneration) {
        st.reset();
        st.generation = event.generation;
        st.rebaseTimelines();
      }
      st.source = event.source;
      st.live = true;
      this.configure(st, event, newGeneration);
      if (this.pendingDescribes.has(stream) && st.isReady()) this.flushDescribes(stream);
    } else {
      st.live = false;
      st.reset();
      // The run is over (stop, removal, a publish that ended): frames_received starts over with
      // the next one, as ingest's packets_received does; an outage keeps counting.
      if (event.ended === true) st.framesReceived = 0;
      if (event.source === 'rtmp') void this.statusMetrics.forget(stream);
      else this.statusMetrics.down(stream, event.source);
      void this.ctx.store.delete(statusKey(stream, 'packetizer'));
    }
  }

  /**
   * The source's tracks, as ingest read them once (a camera's SDP, an RTMP publication's
   * sequence headers) and announced in `source-started`. An RTMP publication announces itself
   * before its sequence headers are read (no formats yet) and again when they are or change
   * (same generation): a changed description reconfigures the pipeline, a repeated one is a no-op.
   */
  private configure(st: StreamState, event: Pick<StreamEvent, 'source' | 'formats' | 'unsupported'>, newGeneration: boolean): void {
    if (!event.formats || event.formats.length === 0) {
      if (event.source === 'rtsp') this.malformed(st, new SourceInputError('RTSP source-started without formats'));
      return;
    }
    const key = JSON.stringify([event.formats, event.unsupported ?? []]);
    if (!newGeneration && st.pipeline.configured && st.formatsKey === key) return;
    let tracks;
    try {
      tracks = event.formats.map((f) => ({ ...formatOfSource(f), control: undefined }));
    } catch (err) {
      if (err instanceof SourceFormatError) return this.malformed(st, err);
      throw err;
    }
    const unsupported = (event.unsupported ?? []).map((u) => ({ ...u, label: u.codec }));
    st.pipeline.configureFormats({ control: undefined, tracks, unsupported });
    st.formatsKey = key;
    if (unsupported.length > 0) this.ctx.logger.info({ stream: st.stream, unsupported: event.unsupported }, 'source tracks not carried');
  }

  private onDescribe(msg: BusMessage): void {
    const stream = this.streamName(msg.subject);
    if (!stream) return;
    const st = this.streams.get(stream);
    if (st?.isReady()) {
      msg.respond(encodeJson(StreamDescription, st.describe()));
      return;
    }
    if (!st || !st.live) return this.replyNotFound(msg, stream);
    // Publishing but sequence headers not in yet: answer as soon as they are.
    const pending = this.pendingDescribes.get(stream) ?? [];
    if (pending.length >= MAX_PENDING_DESCRIBES) return this.replyNotFound(msg, stream);
    const entry = {
      msg,
      timer: setTimeout(() => {
        const list = this.pendingDescribes.get(stream);
        const i = list?.indexOf(entry) ?? -1;
        if (list && i >= 0) list.splice(i, 1);
        if (list?.length === 0) this.pendingDescribes.delete(stream);
        this.replyNotFound(msg, stream);
      }, this.describeWaitMs),
    };
    pending.push(entry);
    this.pendingDescribes.set(stream, pending);
  }

  private flushDescribes(stream: string): void {
    const st = this.streams.get(stream);
    const pending = this.pendingDescribes.get(stream) ?? [];
    this.pendingDescribes.delete(stream);
    if (!st) return;
    const reply = encodeJson(StreamDescription, st.describe());
    for (const p of pending) {
      clearTimeout(p.timer);
      p.msg.respond(reply);
    }
  }

  private replyNotFound(msg: BusMessage, stream: string): void {
    msg.respond(encodeJson(BusErrorReply, { error: `stream ${stream} is not publishing or has no sequence header yet`, code: 404 }));
  }

  private onGop(msg: BusMessage): void {
    const stream = this.streamName(msg.subject);
    if (!stream) return;
    const st = this.streams.get(stream);
    // Led by the unit before the keyframe (egress replays it first; GopCache says why).
    msg.respond(st?.live ? joinEnvelopeList(st.gop.replay) : new Uint8Array(0));
  }

  private onLatestFrame(msg: BusMessage): void {
    const stream = this.streamName(msg.subject);
    if (!stream) return;
    // A request body of {"keyframe":true} asks for the latest keyframe instead of the latest AU;
    // {"since_keyframe":true} for every video unit from it through the latest (the picture now).
    const body = msg.data.byteLength > 0 ? new TextDecoder().decode(msg.data) : '';
    const wantKeyframe = /"keyframe"\s*:\s*true/.test(body);
    const st = this.streams.get(stream);
    if (/"since_keyframe"\s*:\s*true/.test(body)) {
      const units = st?.live ? videoSinceKeyframe(st) : [];
      if (units.length === 0) return this.replyNotFound(msg, stream);
      msg.respond(encodeEnvelopeList(units));
      return;
    }
    const frame = wantKeyframe ? st?.latestKeyframe : st?.latestFrame;
    if (!frame) return this.replyNotFound(msg, stream);
    // Parameter sets go before every reply (keyframes already carry them), so the bytes parse
    // on their own as one access unit.
    const config = st?.pipeline.videoConfig;
    const nalus = frame.keyframe || !config ? frame.nalus : [...(config.vps ? [config.vps] : []), config.sps, config.pps, ...frame.nalus];
    msg.respond(encodeEnvelope({ kind: 'frame', codec: frame.codec, keyframe: frame.keyframe, receivedAt: frame.receivedAt, data: joinAnnexB(nalus) }));
  }

  private malformed(st: StreamState, err: Error): void {
    st.malformed++;
    st.malformedSinceLog++;
    const now = this.now();
    if (now - st.lastMalformedLogAt < MALFORMED_LOG_INTERVAL_MS) return;
    this.ctx.logger.warn({ stream: st.stream, count: st.malformedSinceLog, total: st.malformed, reason: err.message }, 'skipping malformed input');
    st.lastMalformedLogAt = now;
    st.malformedSinceLog = 0;
  }

  private async writeStatus(): Promise<void> {
    const now = this.now();
    for (const [name, st] of this.streams) {
      if (!st.live) {
        if (now - st.lastActivity > this.idleEvictMs) this.streams.delete(name);
        continue;
      }
      try {
        const status = st.status(now);
        const video = status.tracks.find((t) => t.media === 'video');
        this.statusMetrics.packetizer(name, status, video?.codec ?? 'none');
        await this.ctx.store.set(statusKey(name, 'packetizer'), encodeStatus('packetizer', status), { ttlMs: STATUS_TTL_MS });
      } catch (err) {
        this.ctx.logger.warn({ err, stream: name }, 'status write failed');
      }
      await this.writeHandover(name, st, now);
    }
  }

  /** Leased mode: what the next owner of `stream` continues (OutputHandover), in the store. */
  private async writeHandover(stream: string, st: StreamState, now: number): Promise<void> {
    if (!this.assignment) return;
    const handover = st.handover(now);
    if (Object.keys(handover.tracks).length === 0) return;
    try {
      await this.ctx.store.set(outputHandoverKey(stream), JSON.stringify(handover), { ttlMs: OUTPUT_HANDOVER_TTL_MS });
    } catch (err) {
      this.ctx.logger.warn({ err, stream }, 'handover write failed');
    }
  }

  private async readHandover(stream: string): Promise<OutputHandover | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const text = await Promise.race([
        this.ctx.store.get(outputHandoverKey(stream)),
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), HANDOVER_READ_TIMEOUT_MS))),
      ]);
      return parseOutputHandover(text);
    } catch (err) {
      this.ctx.logger.warn({ err, stream }, 'handover read failed; the output starts a new sequence');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The cached GOP's video units from its keyframe through the latest, as frame messages (Annex B,
 * the keyframe with its parameter sets first), for a picture of "now" rather than of the last
 * keyframe (JPEG snapshots decode them all and keep the last picture). Depacketized from the
 * cached envelopes on request, so the GOP is held once. Empty without a complete GOP.
 */
function videoSinceKeyframe(st: StreamState): FrameMessage[] {
  const config = st.pipeline.videoConfig;
  if (!config) return [];
  const decoder = videoCodec(config.codec).createDecoder();
  const codec = config.codec === 'H265' ? 'h265' : 'h264';
  const out: FrameMessage[] = [];
  for (const envelope of st.gop.units) {
    const m = decodeEnvelope(envelope);
    if (m.kind !== 'access-unit' || m.track !== VIDEO_TRACK) continue;
    for (const packet of m.packets) {
      const r = decoder.decode(parseRtpPacket(packet));
      if (r.kind !== 'complete') continue;
      for (const au of r.units) out.push({ kind: 'frame', codec, keyframe: m.keyframe, receivedAt: m.receivedAt, data: joinAnnexB(au.nalus) });
    }
  }
  return out;
}

/** Bytes of every part of a message (a loop: this runs for every message on the media path). */
function totalBytes(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  return n;
}
