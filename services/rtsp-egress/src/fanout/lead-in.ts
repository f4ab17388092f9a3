/**
 * The lead-in of a keyframe that has none (a stream's first, GopCache makeLeadIn): a skipped
 * picture (h264SkippedPicture, h265SkippedPicture) in RTP packets numbered and timed just
 * before the keyframe's, so a reader joining in a stream's first GOP is led in like every
 * other (ffmpeg `-c copy` to mpegts/matroska/flv needs it with B-frames). The packets come
 * from the stream's own SSRC and payload type; no reader has seen their sequence numbers
 * (nothing of the track went before the keyframe).
 */
import { AccessUnitMessage, TrackDescription } from '@streamgate/contracts';
import { H264SpsError, H265SpsError, h264PpsId, h264SkippedPicture, h265PpsId, h265SkippedPicture, parseH264Sps } from '@streamgate/codec';
import { ParameterSets, VideoCodec, videoCodec } from '@streamgate/media';
import {
  H264DecodeError, H265DecodeError, NalPayload, Sequencer, parseH264Payload, parseH265Payload, parseRtpPacket, rtpSequenceNumber, rtpSsrc, seqAdd,
} from '@streamgate/protocol-rtp';

const DEFAULT_FRAME_TICKS = 3000; // 1/30 s at 90 kHz, when the SPS says no frame rate
const MAX_PAYLOAD = 1400;

/** What differs per codec: the RTP payload reader (single NAL units and aggregation packets) and the picture. */
interface LeadInCodec {
  codec: VideoCodec;
  parsePayload(payload: Uint8Array): NalPayload;
  ppsId(nalu: Uint8Array): number | undefined;
  /** The NAL units of the skipped picture, its PPS first, and the frame rate when the SPS has one. */
  picture(sps: Uint8Array, ppsIds: number[]): { nalus: Uint8Array[]; frameRate?: number };
}

const CODECS: Record<string, LeadInCodec | undefined> = {
  H264: {
    codec: videoCodec('H264'), parsePayload: parseH264Payload,
    ppsId: h264PpsId,
    picture: (sps, ppsIds) => {
      const p = h264SkippedPicture(sps, ppsIds);
      return { nalus: [p.pps, ...p.slices], frameRate: parseH264Sps(sps).frameRate };
    },
  },
  H265: {
    codec: videoCodec('H265'), parsePayload: parseH265Payload,
    ppsId: h265PpsId,
    picture: (sps, ppsIds) => {
      const p = h265SkippedPicture(sps, ppsIds);
      return { nalus: [p.pps, p.slice] };
    },
  },
};

/** The parameter sets carried in a unit's single-NAL and aggregation packets (the first of each kind; every PPS). */
function inBandParameterSets(au: AccessUnitMessage, c: LeadInCodec): { vps?: Uint8Array; sps?: Uint8Array; pps: Uint8Array[] } {
  const out: { vps?: Uint8Array; sps?: Uint8Array; pps: Uint8Array[] } = { pps: [] };
  const take = (nalu: Uint8Array): void => {
    const kind = c.codec.parameterSetKind(nalu);
    if (kind === 'vps') out.vps ??= nalu;
    else if (kind === 'sps') out.sps ??= nalu;
    else if (kind === 'pps') out.pps.push(nalu);
  };
  for (const packet of au.packets) {
    let payload: NalPayload;
    try {
      payload = c.parsePayload(parseRtpPacket(packet).payload);
    } catch (err) {
      if (err instanceof H264DecodeError || err instanceof H265DecodeError) continue;
      throw err;
    }
    // Parameter sets are never fragmented in practice; fragments are slice data.
    if (payload.kind === 'nalus') payload.nalus.forEach(take);
  }
  return out;
}

/** `sets`: the description's parameter sets, for a keyframe that carries none in band. */
export function skippedPictureLeadIn(keyframe: AccessUnitMessage, track: TrackDescription, sets: ParameterSets): AccessUnitMessage | undefined {
  const c = CODECS[track.codec];
  if (!c || keyframe.packets.length === 0) return undefined;
  const inBand = inBandParameterSets(keyframe, c);
  const sps = inBand.sps ?? sets.sps;
  const vps = inBand.vps ?? sets.vps;
  if (!sps || (c.codec.parameterSets.includes('vps') && !vps)) return undefined;
  const ppsIds = [...inBand.pps, ...(sets.pps ? [sets.pps] : [])].map(c.ppsId).filter((id): id is number => id !== undefined);
  let picture;
  try {
    picture = c.picture(sps, ppsIds);
  } catch (err) {
    if (err instanceof H264SpsError || err instanceof H265SpsError) return undefined;
    throw err;
  }
  const { frameRate } = picture;
  // Led by its VPS/SPS: a reader whose SDP has none (no sprop) meets the keyframe's in-band
  // sets only after the lead-in, and ffmpeg refuses a PPS of an SPS it has not seen.
  const nalus = [...(c.codec.parameterSets.includes('vps') && vps ? [vps] : []), sps, ...picture.nalus];
  const ticks = frameRate && frameRate >= 1 && frameRate <= 240 ? Math.round(track.clockRate / frameRate) : DEFAULT_FRAME_TICKS;
  const timestamp = (keyframe.rtpTimestamp - ticks) >>> 0;
  const first = keyframe.packets[0];
  const encode = (initialSequenceNumber: number) => c.codec
    .createEncoder({ sequencer: new Sequencer({ ssrc: rtpSsrc(first), initialSequenceNumber }), payloadType: track.payloadType, maxPayloadSize: MAX_PAYLOAD })
    .encodeFramed(nalus, timestamp).packets;
  const count = encode(0).length;
  return {
    kind: 'access-unit', track: keyframe.track, keyframe: false, rtpTimestamp: timestamp, receivedAt: keyframe.receivedAt,
    packets: encode(seqAdd(rtpSequenceNumber(first), -count)),
  };
}
