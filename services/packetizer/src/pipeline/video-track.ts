/**
 * One source video track (H.264 or H.265): ordered RTP packets (cameras) or codec units
 * (RTMP, read by ingest) in, our access units out.
 *
 *  - RTP: depacketizes with the codec's decoder (single NAL, STAP-A/AP, FU-A/FU; AU ends on the
 *    marker bit or a timestamp change), bounded by NalDecoderLimits; codec units are access
 *    units already; from here both go the same way:
 *  - keeps the latest parameter sets, from the SDP and then in-band;
 *  - publishes nothing before the parameter sets are complete and a keyframe has come (after a
 *    new source, waits for a keyframe again), so every reader starts decodable;
 *  - puts the parameter sets in front of every keyframe that lacks them;
 *  - maps timestamps through the track's TimestampMapper and repacketizes with our SSRC,
 *    sequence numbers and payload budget (oversized camera NAL units become FU-A/FU).
 */
import { ByteAllocator, FramedRtpPackets, H264EncodeError, H265EncodeError, NalAccessUnit, NalDecoderLimits, OrderedPacket, Sequencer, TimestampMapper } from '@streamgate/protocol-rtp';
import { ACCESS_UNIT_HEADROOM } from '@streamgate/contracts';
import { AccessUnitOut, VIDEO_PAYLOAD_TYPE, VIDEO_TRACK } from '../media/access-unit';
import {
  AccessUnit, buildVideoConfig, cleanAccessUnit, equalBytes, NalDepacketizer, NalPacketizer, ParameterSetKind, ParameterSets, sameVideoConfig, VideoCodec,
  videoCodec, VideoConfig, VideoFormat, withParameterSets,
} from '@streamgate/media';

export interface VideoTrackOptions {
  /** The camera track: its media section index and format. */
  spec: { input: number; format: VideoFormat };
  sequencer: Sequencer;
  mapper: TimestampMapper;
  maxPayloadSize: number;
  limits?: NalDecoderLimits;
  /** Where packetized units are written (the stream's BufferSlab). Default: a new buffer each. */
  allocate?: ByteAllocator;
}

export interface VideoTrackCounters {
  /** Packets with another payload type or no payload (keepalives). */
  ignoredPackets: number;
  /** Access units dropped before parameter sets / a keyframe were known. */
  waitingForParameterSets: number;
  waitingForKeyframe: number;
  /** NAL units not valid for the codec (reserved types, too short). */
  invalidNalus: number;
}

export class VideoTrack {
  readonly counters: VideoTrackCounters = { ignoredPackets: 0, waitingForParameterSets: 0, waitingForKeyframe: 0, invalidNalus: 0 };
  /** Increments when the parameter sets change. */
  configChanges = 0;
  private readonly codec: VideoCodec;
  private readonly encoder: NalPacketizer;
  private decoder: NalDepacketizer;
  private readonly sets: ParameterSets = {};
  private configValue: VideoConfig | undefined;
  private keyframeSeen = false;

  constructor(private readonly options: VideoTrackOptions) {
    this.codec = videoCodec(options.spec.format.codec);
    this.decoder = this.codec.createDecoder(options.limits);
    this.encoder = this.codec.createEncoder({ sequencer: options.sequencer, payloadType: VIDEO_PAYLOAD_TYPE, maxPayloadSize: options.maxPayloadSize, allocate: options.allocate });
    for (const kind of this.codec.parameterSets) {
      const set = options.spec.format.parameterSets[kind];
      if (set) this.sets[kind] = new Uint8Array(set);
    }
    this.configValue = buildVideoConfig(this.codec, this.sets);
  }

  get config(): VideoConfig | undefined {
    return this.configValue;
  }

  /** Bytes held for incomplete NAL units and access units. */
  get bufferedBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /** Appends the units `o` completes to `out`. Throws the codec's typed decode errors for malformed payloads. */
  push(o: OrderedPacket, out: AccessUnitOut[]): void {
    if (o.newSource) {
      // Fragments and references of the previous source are useless now.
      this.decoder = this.codec.createDecoder(this.options.limits);
      this.keyframeSeen = false;
    }
    const p = o.packet;
    if (p.header.payloadType !== this.options.spec.format.payloadType || p.payload.byteLength === 0) {
      this.counters.ignoredPackets++;
      return;
    }
    const r = this.decoder.decode(p);
    if (r.kind !== 'complete') return;
    for (const au of r.units) {
      const unit = this.accessUnit(au, o.arrivalMs);
      if (unit) out.push(unit);
    }
  }

  /** A codec unit (NAL units of one picture, timestamp in 90 kHz) from a source read at the edge. */
  unit(unit: AccessUnit, arrivalMs: number): AccessUnitOut | undefined {
    return this.accessUnit({ nalus: unit.payloads, timestamp: unit.timestamp }, arrivalMs, unit.keyframe);
  }

  private accessUnit(au: Pick<NalAccessUnit, 'nalus' | 'timestamp'>, arrivalMs: number, sourceKeyframe = false): AccessUnitOut | undefined {
    const valid = au.nalus.filter((n) => {
      const ok = this.codec.isValidNalu(n);
      if (!ok) this.counters.invalidNalus++;
      return ok;
    });
    for (const n of valid) {
      const kind = this.codec.parameterSetKind(n);
      if (kind) this.updateParameterSet(kind, n);
    }
    const nalus = cleanAccessUnit(this.codec, valid);
    // Parameter sets or SEI alone: kept (above), nothing to show.
    if (!nalus.some((n) => this.codec.isVcl(n))) return undefined;
    const config = this.configValue;
    if (!config) {
      this.counters.waitingForParameterSets++;
      return undefined;
    }
    // The source's keyframe flag (FLV frame type) counts too.
    const keyframe = sourceKeyframe || this.codec.isKeyframe(nalus);
    if (!keyframe && !this.keyframeSeen) {
      this.counters.waitingForKeyframe++;
      return undefined;
    }
    this.keyframeSeen = true;
    const sent = keyframe ? withParameterSets(this.codec, nalus, config) : nalus;
    const rtpTimestamp = this.options.mapper.map(au.timestamp, arrivalMs);
    let framed: FramedRtpPackets;
    try {
      framed = this.encoder.encodeFramed(sent, rtpTimestamp, ACCESS_UNIT_HEADROOM);
    } catch (err) {
      // Unreachable for valid NAL units; kept typed so a codec gap never takes the stream down.
      if (err instanceof H264EncodeError || err instanceof H265EncodeError) return undefined;
      throw err;
    }
    return { track: VIDEO_TRACK, keyframe, rtpTimestamp, packets: framed.packets, framed: framed.buffer, nalus: sent, receivedAt: arrivalMs };
  }

  private updateParameterSet(kind: ParameterSetKind, nalu: Uint8Array): void {
    if (equalBytes(this.sets[kind], nalu)) return;
    // A copy: the NAL unit may be a view into a pooled read (a Buffer, whose slice() is a view too).
    this.sets[kind] = new Uint8Array(nalu);
    const config = buildVideoConfig(this.codec, this.sets);
    if (!config || sameVideoConfig(config, this.configValue)) return;
    this.configValue = config;
    this.configChanges++;
  }
}
