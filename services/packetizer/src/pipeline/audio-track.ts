/**
 * One source AAC track: ordered RTP packets of a camera (RFC 3640 mpeg4-generic, AAC-hbr or
 * AAC-lbr as the SDP says) or codec units of a source read at the edge (RTMP: one raw AAC
 * frame each) in, one access unit per AAC frame out, repacketized as AAC-hbr with our SSRC,
 * sequence numbers and payload budget, timestamps through the mapper.
 */
import { AacDecoder, AacEncoder, ByteAllocator, OrderedPacket, Sequencer, TimestampMapper } from '@streamgate/protocol-rtp';
import { ACCESS_UNIT_HEADROOM } from '@streamgate/contracts';
import { AccessUnitOut, AUDIO_PAYLOAD_TYPE, AUDIO_TRACK } from '../media/access-unit';
import type { AccessUnit, AudioConfig, Mpeg4AudioFormat } from '@streamgate/media';

export interface AudioTrackOptions {
  /** The camera track: its media section index and format. */
  spec: { input: number; format: Mpeg4AudioFormat };
  sequencer: Sequencer;
  mapper: TimestampMapper;
  maxPayloadSize: number;
  /** Where packetized units are written (the stream's BufferSlab). Default: a new buffer each. */
  allocate?: ByteAllocator;
}

/** RFC 3640 AAC-hbr sizeLength 13: the largest AU our encoder can describe. */
const MAX_OUTPUT_AU = 0x1fff;

/** RTP clock ticks per AAC frame: the frame's samples at the core rate, in the track's clock. */
export function ticksPerFrame(format: Mpeg4AudioFormat): number {
  const { samplesPerFrame, sampleRate } = format.parsed;
  return Math.max(1, Math.round((samplesPerFrame * format.clockRate) / sampleRate));
}

export class AudioTrack {
  ignoredPackets = 0;
  oversizedUnits = 0;
  private decoder: AacDecoder;
  private readonly encoder: AacEncoder;
  private readonly frameTicks: number;

  constructor(private readonly options: AudioTrackOptions) {
    this.frameTicks = ticksPerFrame(options.spec.format);
    this.decoder = this.createDecoder();
    this.encoder = new AacEncoder({ sequencer: options.sequencer, payloadType: AUDIO_PAYLOAD_TYPE, maxPayloadSize: options.maxPayloadSize, samplesPerFrame: this.frameTicks, allocate: options.allocate });
  }

  get config(): AudioConfig {
    return this.options.spec.format;
  }

  get bufferedBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /** Appends the units `o` completes to `out`. Throws AacDecodeError for malformed payloads. */
  push(o: OrderedPacket, out: AccessUnitOut[]): void {
    if (o.newSource) this.decoder = this.createDecoder();
    const p = o.packet;
    if (p.header.payloadType !== this.options.spec.format.payloadType || p.payload.byteLength === 0) {
      this.ignoredPackets++;
      return;
    }
    const r = this.decoder.decode(p);
    if (r.kind !== 'complete') return;
    for (const au of r.units) {
      const unit = this.frame(au.data, au.timestamp, o.arrivalMs);
      if (unit) out.push(unit);
    }
  }

  /** A codec unit (one raw AAC frame, timestamp in the track's clock) from a source read at the edge. */
  unit(unit: AccessUnit, arrivalMs: number): AccessUnitOut | undefined {
    const frame = unit.payloads[0];
    return frame && frame.byteLength > 0 ? this.frame(frame, unit.timestamp, arrivalMs) : undefined;
  }

  private frame(data: Uint8Array, timestamp: number, arrivalMs: number): AccessUnitOut | undefined {
    if (data.byteLength > MAX_OUTPUT_AU) {
      this.oversizedUnits++;
      return undefined;
    }
    const rtpTimestamp = this.options.mapper.map(timestamp, arrivalMs);
    const { buffer, packets } = this.encoder.encodeFramed([data], rtpTimestamp, ACCESS_UNIT_HEADROOM);
    return { track: AUDIO_TRACK, keyframe: false, rtpTimestamp, packets, framed: buffer, receivedAt: arrivalMs };
  }

  private createDecoder(): AacDecoder {
    const s = this.options.spec.format;
    return new AacDecoder({ sizeLength: s.sizeLength, indexLength: s.indexLength, indexDeltaLength: s.indexDeltaLength, samplesPerFrame: this.frameTicks });
  }
}
