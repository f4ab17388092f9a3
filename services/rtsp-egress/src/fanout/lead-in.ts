/**
 * The lead-in of a keyframe that has none (a stream's first, GopCache makeLeadIn): a skipped
 * picture (h264SkippedPicture) in RTP packets numbered and timed just before the keyframe's,
 * so a reader joining in a stream's first GOP is led in like every other (ffmpeg `-c copy`
 * to mpegts/matroska/flv needs it with B-frames). The packets come from the stream's own
 * SSRC and payload type; no reader has seen their sequence numbers (nothing of the track
 * went before the keyframe). H.264 only: an H.265 slice is CABAC-coded, with no short form.
 */
import { AccessUnitMessage, TrackDescription } from '@streamgate/contracts';
import { H264NalType, H264SpsError, h264PpsId, h264SkippedPicture, parseH264Sps } from '@streamgate/codec';
import { H264Encoder, Sequencer, parseRtpPacket, rtpSequenceNumber, rtpSsrc, seqAdd, serializeRtpPacket } from '@streamgate/protocol-rtp';
import type { ParameterSets } from '@streamgate/media';

const DEFAULT_FRAME_TICKS = 3000; // 1/30 s at 90 kHz, when the SPS has no frame rate
const MAX_PAYLOAD = 1400;
const STAP_A_HEADER = 1;

/** The parameter sets carried in a unit's single-NAL and STAP-A packets (RFC 6184 §5.6, §5.7.1). */
function inBandParameterSets(au: AccessUnitMessage): { sps?: Uint8Array; pps: Uint8Array[] } {
  const out: { sps?: Uint8Array; pps: Uint8Array[] } = { pps: [] };
  const take = (nalu: Uint8Array): void => {
    const type = nalu[0] & 0x1f;
    if (type === H264NalType.Sps) out.sps ??= nalu;
    else if (type === H264NalType.Pps) out.pps.push(nalu);
  };
  for (const packet of au.packets) {
    const payload = parseRtpPacket(packet).payload;
    if (payload.byteLength === 0) continue;
    const type = payload[0] & 0x1f;
    if (type === H264NalType.StapA) {
      for (let i = STAP_A_HEADER; i + 2 < payload.byteLength;) {
        const size = (payload[i] << 8) | payload[i + 1];
        if (size === 0 || i + 2 + size > payload.byteLength) break;
        take(payload.subarray(i + 2, i + 2 + size));
        i += 2 + size;
      }
    } else if (type < H264NalType.StapA) {
      take(payload);
    }
  }
  return out;
}

/** `sets`: the description's parameter sets, for a keyframe that carries none in band. */
export function skippedPictureLeadIn(keyframe: AccessUnitMessage, track: TrackDescription, sets: ParameterSets): AccessUnitMessage | undefined {
  if (track.codec !== 'H264' || keyframe.packets.length === 0) return undefined;
  const inBand = inBandParameterSets(keyframe);
  const sps = inBand.sps ?? sets.sps;
  if (!sps) return undefined;
  const ppsIds = [...inBand.pps, ...(sets.pps ? [sets.pps] : [])].map(h264PpsId).filter((id): id is number => id !== undefined);
  let picture;
  let frameRate: number | undefined;
  try {
    picture = h264SkippedPicture(sps, ppsIds);
    frameRate = parseH264Sps(sps).frameRate;
  } catch (err) {
    if (err instanceof H264SpsError) return undefined;
    throw err;
  }
  const nalus = [picture.pps, ...picture.slices];
  const ticks = frameRate && frameRate >= 1 && frameRate <= 240 ? Math.round(track.clockRate / frameRate) : DEFAULT_FRAME_TICKS;
  const timestamp = (keyframe.rtpTimestamp - ticks) >>> 0;
  const first = keyframe.packets[0];
  const encode = (initialSequenceNumber: number) =>
    new H264Encoder({ sequencer: new Sequencer({ ssrc: rtpSsrc(first), initialSequenceNumber }), payloadType: track.payloadType, maxPayloadSize: MAX_PAYLOAD }).encode(nalus, timestamp);
  const count = encode(0).length;
  const packets = encode(seqAdd(rtpSequenceNumber(first), -count));
  return {
    kind: 'access-unit', track: keyframe.track, keyframe: false, rtpTimestamp: timestamp, receivedAt: keyframe.receivedAt,
    packets: packets.map(serializeRtpPacket),
  };
}
