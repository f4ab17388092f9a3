/**
 * FLV audio tag body, FLV spec v10.1 Annex E.4.2.1 (AUDIODATA):
 *   SoundFormat UB[4] | SoundRate UB[2] | SoundSize UB[1] | SoundType UB[1] |
 *   (SoundFormat 10, AACAUDIODATA:) AACPacketType UI8 | Data
 * AACPacketType 0 = AudioSpecificConfig (ISO 14496-3 §1.6.2.1), 1 = raw AAC frame.
 * For AAC the rate/size/type bits are fixed (3, 1, 1) and the ASC is authoritative.
 */
import { FlvError } from './flv-error';

export const SoundFormat = { Mp3: 2, Aac: 10, Speex: 11 } as const;

export type AacPacketType = 'sequence-header' | 'raw';

export interface AacAudioTag {
  codec: 'aac';
  packetType: AacPacketType;
  /** AudioSpecificConfig or one raw AAC frame (view into the input). */
  data: Uint8Array;
}

export interface OtherAudioTag {
  codec: 'unsupported';
  soundFormat: number;
  soundRate: number;
  soundSize: number;
  soundType: number;
  data: Uint8Array;
}

export type AudioTag = AacAudioTag | OtherAudioTag;

export function parseAudioTag(body: Uint8Array): AudioTag {
  if (body.byteLength < 1) throw new FlvError('empty audio tag');
  const b0 = body[0];
  const soundFormat = b0 >> 4;
  if (soundFormat !== SoundFormat.Aac) {
    return { codec: 'unsupported', soundFormat, soundRate: (b0 >> 2) & 3, soundSize: (b0 >> 1) & 1, soundType: b0 & 1, data: body.subarray(1) };
  }
  if (body.byteLength < 2) throw new FlvError('AAC audio tag without AACPacketType');
  const t = body[1];
  if (t > 1) throw new FlvError(`unknown AACPacketType ${t}`);
  return { codec: 'aac', packetType: t === 0 ? 'sequence-header' : 'raw', data: body.subarray(2) };
}
