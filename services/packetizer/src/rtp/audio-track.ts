/**
 * One camera AAC track (RFC 3640 mpeg4-generic, AAC-hbr or AAC-lbr as the SDP says): ordered
 * RTP packets in, one access unit per AAC frame out (like the RTMP path), repacketized as
 * AAC-hbr with our SSRC, sequence numbers and payload budget, timestamps through the mapper.
 */
import { AacDecoder, AacEncoder, OrderedPacket, Sequencer, serializeRtpPacket, TimestampMapper } from '@streamgate/protocol-rtp';
import { AccessUnitOut, AUDIO_PAYLOAD_TYPE, AUDIO_TRACK } from '../media/access-unit';
import type { AudioConfig } from '../media/track-config';
import type { CameraAudioTrack } from './camera-description';

export interface AudioTrackOptions {
  spec: CameraAudioTrack;
  sequencer: Sequencer;
  mapper: TimestampMapper;
  maxPayloadSize: number;
}

/** RFC 3640 AAC-hbr sizeLength 13: the largest AU our encoder can describe. */
const MAX_OUTPUT_AU = 0x1fff;

/** RTP clock ticks per AAC frame: the frame's samples at the core rate, in the track's clock. */
export function ticksPerFrame(spec: CameraAudioTrack): number {
  const { samplesPerFrame, sampleRate } = spec.config.parsed;
  return Math.max(1, Math.round((samplesPerFrame * spec.clockRate) / sampleRate));
}

export class AudioTrack {
  ignoredPackets = 0;
  oversizedUnits = 0;
  private decoder: AacDecoder;
  private readonly encoder: AacEncoder;
  private readonly frameTicks: number;

  constructor(private readonly options: AudioTrackOptions) {
    this.frameTicks = ticksPerFrame(options.spec);
    this.decoder = this.createDecoder();
    this.encoder = new AacEncoder({ sequencer: options.sequencer, payloadType: AUDIO_PAYLOAD_TYPE, maxPayloadSize: options.maxPayloadSize, samplesPerFrame: this.frameTicks });
  }

  get config(): AudioConfig {
    return this.options.spec.config;
  }

  get bufferedBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /** Throws AacDecodeError for malformed payloads. */
  push(o: OrderedPacket): AccessUnitOut[] {
    if (o.newSource) this.decoder = this.createDecoder();
    const p = o.packet;
    if (p.header.payloadType !== this.options.spec.payloadType || p.payload.byteLength === 0) {
      this.ignoredPackets++;
      return [];
    }
    const r = this.decoder.decode(p);
    if (r.kind !== 'complete') return [];
    const out: AccessUnitOut[] = [];
    for (const au of r.units) {
      if (au.data.byteLength > MAX_OUTPUT_AU) {
        this.oversizedUnits++;
        continue;
      }
      const rtpTimestamp = this.options.mapper.map(au.timestamp, o.arrivalMs);
      const packets = this.encoder.encode([au.data], rtpTimestamp).map(serializeRtpPacket);
      out.push({ track: AUDIO_TRACK, keyframe: false, rtpTimestamp, packets, receivedAt: o.arrivalMs });
    }
    return out;
  }

  private createDecoder(): AacDecoder {
    const s = this.options.spec;
    return new AacDecoder({ sizeLength: s.sizeLength, indexLength: s.indexLength, indexDeltaLength: s.indexDeltaLength, samplesPerFrame: this.frameTicks });
  }
}
