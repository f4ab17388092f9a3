/**
 * AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1), as in the FLV AAC sequence header and the
 * SDP `config=` parameter of mpeg4-generic (RFC 3640 §4.1).
 *
 *  5 bits audioObjectType (31 → 6 more bits + 32) | 4 bits samplingFrequencyIndex
 *  (15 → 24-bit frequency) | 4 bits channelConfiguration | [SBR/PS extension] |
 *  GASpecificConfig: frameLengthFlag (1 → 960 samples per frame) ...
 */
import { BitReader, BitReaderError } from '../bit-reader';
import { AudioSpecificConfigError } from './errors';

export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

export interface AudioSpecificConfig {
  /** 2 = AAC LC, 5 = SBR (HE-AAC), 29 = PS (HE-AAC v2). */
  objectType: number;
  sampleRate: number;
  /** channelConfiguration; 0 means defined in a program config element. */
  channels: number;
  /** Output sample rate when SBR is signalled explicitly. */
  extensionSampleRate?: number;
  /** Samples per access unit: 1024, or 960 with frameLengthFlag. */
  samplesPerFrame: number;
}

const OBJECT_TYPE_NAMES: Record<number, string> = { 1: 'Main', 2: 'LC', 3: 'SSR', 4: 'LTP', 5: 'HE-AAC', 29: 'HE-AACv2' };

export function aacObjectTypeName(objectType: number): string {
  return OBJECT_TYPE_NAMES[objectType] ?? `AOT ${objectType}`;
}

function objectType(r: BitReader): number {
  const t = r.bits(5);
  return t === 31 ? 32 + r.bits(6) : t;
}

function sampleRate(r: BitReader): number {
  const index = r.bits(4);
  if (index === 15) return r.bits(24);
  const rate = AAC_SAMPLE_RATES[index];
  if (rate === undefined) throw new AudioSpecificConfigError(`samplingFrequencyIndex ${index}`);
  return rate;
}

export function parseAudioSpecificConfig(buf: Uint8Array): AudioSpecificConfig {
  if (buf.byteLength < 2) throw new AudioSpecificConfigError(`${buf.byteLength} bytes is too short`);
  try {
    const r = new BitReader(buf);
    let type = objectType(r);
    const rate = sampleRate(r);
    const channels = r.bits(4);
    let extensionSampleRate: number | undefined;
    if (type === 5 || type === 29) {
      extensionSampleRate = sampleRate(r);
      type = objectType(r);
      if (type === 22) r.skip(4);
    }
    if (type === 0) throw new AudioSpecificConfigError('audioObjectType 0');
    if (rate === 0) throw new AudioSpecificConfigError('sample rate 0');
    const frameLengthFlag = r.bitsLeft > 0 && [1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23].includes(type) ? r.bool() : false;
    const out: AudioSpecificConfig = { objectType: type, sampleRate: rate, channels, samplesPerFrame: frameLengthFlag ? 960 : 1024 };
    if (extensionSampleRate !== undefined) {
      out.extensionSampleRate = extensionSampleRate;
      // With explicit SBR the signalled core type is LC; report HE-AAC as players do.
      out.objectType = 5;
    }
    return out;
  } catch (err) {
    if (err instanceof BitReaderError) throw new AudioSpecificConfigError(err.message);
    throw err;
  }
}

/** Lowercase hex, as in the SDP `config=` parameter. */
export function audioSpecificConfigHex(buf: Uint8Array): string {
  let s = '';
  for (const b of buf) s += b.toString(16).padStart(2, '0');
  return s;
}
