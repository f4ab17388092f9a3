/**
 * Bus adapter around the per-stream processors: media.*.in and stream.*.events in;
 * media.<s>.out, describe/gop/frame replies and status/<s>/packetizer out.
 * Every handler catches what the input can cause; one stream's bad input never touches another.
 */
import { StreamAssignment, StreamAssignmentOptions } from './stream-assignment';
import {
  AccessUnitMessage, BusErrorReply, ContractError, decodeEnvelope, decodeJson, encodeEnvelope,
  encodeJson, EnvelopeError, isValidStreamName, MediaMessage, StreamDescription, StreamEvent, Subjects, streamFromSubject, IngestSubjects, SourceDescription, statusKey, STATUS_TTL_MS } from '@streamgate/contracts';
import { BusMessage, InProcessBus, ServiceContext, StatusMetrics, Subscription, unwrapBus } from '@streamgate/platform';
import { joinAnnexB } from '@streamgate/protocol-rtp';
import { SdpParseError } from '@streamgate/protocol-sdp';
import { FlvInputError } from './flv/errors';
import { AccessUnitOut, VIDEO_TRACK } from './media/access-unit';
import { RtpInputError } from './rtp/errors';
import { StreamState } from './stream-state';

export interface PacketizerOptions {
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
const MAX_PENDING_DESCRIBES = 64;

export class PacketizerService {
  private readonly streams = new Map<string, StreamState>();
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
    this.owned.set(stream, [
      bus.subscribe(Subjects.mediaIn(stream), (m) => this.guard(m, () => this.onMedia(m))),
      bus.subscribe(Subjects.describe(stream), (m) => this.guard(m, () => this.onDescribe(m))),
      bus.subscribe(Subjects.gop(stream), (m) => this.guard(m, () => this.onGop(m))),
      bus.subscribe(Subjects.latestFrame(stream), (m) => this.guard(m, () => this.onLatestFrame(m))),
    ]);
    this.ctx.logger.info({ stream, instance: this.assignment?.instanceId }, 'packetizer took the stream');
    // Joining a live source: its configuration (SDP or sequence headers) went by already.
    try {
      const reply = await bus.request(IngestSubjects.source(stream), new Uint8Array(0), { timeoutMs: 2000 });
      this.applySourceDescription(decodeJson(SourceDescription, reply.subject, reply.data));
    } catch (err) {
      this.ctx.logger.warn({ stream, err: (err as Error).message }, 'no source description from ingest; waiting for the next source-started');
    }
  }

  private async release(stream: string): Promise<void> {
    for (const sub of this.owned.get(stream) ?? []) sub.unsubscribe();
    this.owned.delete(stream);
    this.streams.get(stream)?.reset();
    this.streams.delete(stream);
    await this.ctx.store.delete(statusKey(stream, 'packetizer')).catch((err: unknown) => this.ctx.logger.warn({ err, stream }, 'status delete failed'));
  }

  private applySourceDescription(d: SourceDescription): void {
    const now = this.now();
    this.handleEvent(d.stream, { type: 'source-started', stream: d.stream, source: d.source, at: now, generation: d.generation, sdp: d.sdp });
    for (const tag of d.config_tags ?? []) {
      this.handleMedia(d.stream, { kind: 'flv-tag', tagType: tag.tag_type, timestamp: tag.timestamp, receivedAt: now, data: Buffer.from(tag.data, 'base64') });
    }
  }

  async start(): Promise<void> {
    const bus = this.ctx.bus;
    this.subscriptions.push(bus.subscribe(Subjects.allStreamEvents, (m) => this.guard(m, () => this.onEvent(m))));
    if (this.assignment) {
      await this.assignment.start();
    } else {
      // One process, one packetizer: it handles every stream, with no gap at a stream's start.
      this.subscriptions.push(
        bus.subscribe(Subjects.allMediaIn, (m) => this.guard(m, () => this.onMedia(m))),
        bus.subscribe(Subjects.allDescribe, (m) => this.guard(m, () => this.onDescribe(m))),
        bus.subscribe(Subjects.allGop, (m) => this.guard(m, () => this.onGop(m))),
        bus.subscribe(Subjects.allLatestFrame, (m) => this.guard(m, () => this.onLatestFrame(m))),
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

  private guard(msg: BusMessage, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.ctx.logger.error({ err, subject: msg.subject }, 'packetizer handler failed');
    }
  }

  private streamName(subject: string): string | undefined {
    const s = streamFromSubject(subject);
    return s !== undefined && isValidStreamName(s) ? s : undefined;
  }

  private state(stream: string): StreamState {
    let st = this.streams.get(stream);
    if (!st) {
      st = new StreamState(stream, {
        maxPayloadSize: this.ctx.config.RTP_MAX_PAYLOAD, gop: this.gopLimits, now: this.now(),
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
    let units: AccessUnitOut[];
    if (media.kind === 'flv-tag') {
      if (st.source !== 'rtmp') return this.malformed(st, new FlvInputError('FLV tag for an RTSP source'));
      st.live = true;
      st.countInput(media.data.byteLength, now);
      try {
        units = st.flv.processTag(media);
      } catch (err) {
        if (err instanceof FlvInputError) return this.malformed(st, err);
        throw err;
      }
    } else if (media.kind === 'rtp-batch') {
      // Without the camera's SDP (source-started) the packets cannot be interpreted.
      if (st.source !== 'rtsp' || !st.rtp.configured) return this.malformed(st, new RtpInputError('RTP before source-started with an SDP'));
      st.countInput(media.packets.reduce((n, p) => n + p.byteLength, 0), now);
      units = st.rtp.processBatch(media);
    } else {
      return;
    }
    this.publishUnits(stream, st, units, media.receivedAt, now);
  }

  /** One AccessUnitMessage per unit on media.<s>.out, into the GOP cache and latest frame. */
  private publishUnits(stream: string, st: StreamState, units: readonly AccessUnitOut[], receivedAt: number, now: number): void {
    for (const au of units) {
      const out: AccessUnitMessage = {
        kind: 'access-unit', track: au.track, keyframe: au.keyframe, rtpTimestamp: au.rtpTimestamp, receivedAt: au.receivedAt ?? receivedAt, packets: au.packets,
      };
      const bytes = encodeEnvelope(out);
      st.gop.add(bytes, au.track === VIDEO_TRACK && au.keyframe);
      if (au.track === VIDEO_TRACK && au.nalus) {
        const codec = st.processor.videoConfig?.codec === 'H265' ? 'h265' : 'h264';
        st.latestFrame = { codec, nalus: au.nalus, keyframe: au.keyframe, receivedAt: out.receivedAt };
        if (au.keyframe) st.latestKeyframe = st.latestFrame;
        st.countVideoFrame(now);
      }
      this.ctx.bus.publish(Subjects.mediaOut(stream), bytes);
    }
    if (this.pendingDescribes.has(stream) && st.isReady()) this.flushDescribes(stream);
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
      }
      st.source = event.source;
      st.live = true;
      if (event.source === 'rtsp' && (newGeneration || !st.rtp.configured)) this.configureRtp(st, event.sdp);
      if (this.pendingDescribes.has(stream) && st.isReady()) this.flushDescribes(stream);
    } else {
      st.live = false;
      st.reset();
      this.statusMetrics.down(stream, event.source);
      void this.ctx.store.delete(statusKey(stream, 'packetizer'));
    }
  }

  private configureRtp(st: StreamState, sdp: string | undefined): void {
    if (sdp === undefined) return this.malformed(st, new RtpInputError('RTSP source-started without an SDP'));
    try {
      st.rtp.configure(sdp);
    } catch (err) {
      if (err instanceof SdpParseError) return this.malformed(st, err);
      throw err;
    }
    const unsupported = st.rtp.unsupportedTracks;
    if (unsupported.length > 0) this.ctx.logger.info({ stream: st.stream, unsupported }, 'camera tracks not carried');
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
    msg.respond(st?.live ? st.gop.toEnvelopeList() : new Uint8Array(0));
  }

  private onLatestFrame(msg: BusMessage): void {
    const stream = this.streamName(msg.subject);
    if (!stream) return;
    // A request body of {"keyframe":true} asks for the latest keyframe instead of the latest AU.
    const wantKeyframe = msg.data.byteLength > 0 && /"keyframe"\s*:\s*true/.test(new TextDecoder().decode(msg.data));
    const st = this.streams.get(stream);
    const frame = wantKeyframe ? st?.latestKeyframe : st?.latestFrame;
    if (!frame) return this.replyNotFound(msg, stream);
    // Parameter sets go before every reply (keyframes already carry them), so the bytes parse
    // on their own as one access unit.
    const config = st?.processor.videoConfig;
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
        await this.ctx.store.set(statusKey(name, 'packetizer'), JSON.stringify(status), { ttlMs: STATUS_TTL_MS });
      } catch (err) {
        this.ctx.logger.warn({ err, stream: name }, 'status write failed');
      }
    }
  }
}
