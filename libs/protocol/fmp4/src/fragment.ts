/**
 * One movie fragment (ISO/IEC 14496-12 §8.8): a `moof` describing the samples and the `mdat`
 * holding them. In HLS it is an LL-HLS partial segment; a segment is its parts back to back.
 *
 *  moof
 *    mfhd                 sequence_number
 *    traf*                one per track with samples
 *      tfhd               flags 0x020000 default-base-is-moof: data offsets count from the moof
 *      tfdt (v1)          baseMediaDecodeTime, u64
 *      trun (v1)          flags 0xF01: data-offset, per-sample duration, size, flags and a
 *                         SIGNED composition offset (v1), so B-frames need no edit list
 *  mdat                   samples of the first traf, then the second...
 *
 * Video samples are NAL units, each written with a 4-byte length (the avcC/hvcC lengthSize).
 */
import { Box, BodyWriter, BOX_HEADER_SIZE, BoxWriteError, boxByteLength, writeBox } from './box';
import { NAL_LENGTH_SIZE } from './codec-config';

export interface FragmentSample {
  /** Ticks of the track's timescale until the next sample's decode time. */
  duration: number;
  /** Presentation time minus decode time, in ticks (negative allowed: trun v1). */
  compositionOffset: number;
  /** A sync sample (IDR/IRAP for video; every AAC frame). */
  keyframe: boolean;
  /** The sample's bytes in order; with `nalUnits` each chunk is a NAL unit written with its length. */
  chunks: readonly Uint8Array[];
  nalUnits: boolean;
}

export interface FragmentTrack {
  id: number;
  /** Decode time of the first sample, in the track's timescale. */
  baseMediaDecodeTime: number;
  samples: readonly FragmentSample[];
}

/** §8.8.3.1 sample_flags: depends_on 2 = sync; depends_on 1 + non_sync = the rest. */
export const SYNC_SAMPLE_FLAGS = 0x02000000;
export const NON_SYNC_SAMPLE_FLAGS = 0x01010000;

const TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800;
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;

export function sampleByteLength(s: FragmentSample): number {
  let n = 0;
  for (const c of s.chunks) n += c.byteLength + (s.nalUnits ? NAL_LENGTH_SIZE : 0);
  return n;
}

function traf(track: FragmentTrack, dataOffset: number, sizes: number[]): Box {
  const trun = new BodyWriter().u32(track.samples.length).i32(dataOffset);
  track.samples.forEach((s, i) => {
    if (s.duration < 0 || !Number.isInteger(s.duration)) throw new BoxWriteError(`sample duration ${s.duration}`);
    trun.u32(s.duration).u32(sizes[i]).u32(s.keyframe ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS).i32(s.compositionOffset);
  });
  return {
    type: 'traf',
    children: [
      { type: 'tfhd', full: { version: 0, flags: TFHD_DEFAULT_BASE_IS_MOOF }, body: new BodyWriter().u32(track.id).build() },
      { type: 'tfdt', full: { version: 1, flags: 0 }, body: new BodyWriter().u64(track.baseMediaDecodeTime).build() },
      { type: 'trun', full: { version: 1, flags: TRUN_FLAGS }, body: trun.build() },
    ],
  };
}

/** moof + mdat for the tracks that have samples, in one allocation. */
export function buildFragment(sequenceNumber: number, tracks: readonly FragmentTrack[]): Uint8Array {
  const withSamples = tracks.filter((t) => t.samples.length > 0);
  if (withSamples.length === 0) throw new BoxWriteError('a fragment needs at least one sample');
  const sizes = withSamples.map((t) => t.samples.map(sampleByteLength));
  const mfhd: Box = { type: 'mfhd', full: { version: 0, flags: 0 }, body: new BodyWriter().u32(sequenceNumber).build() };
  // The moof's size does not depend on the offsets' values: size it with zeros first.
  const moofSize = boxByteLength({ type: 'moof', children: [mfhd, ...withSamples.map((t, i) => traf(t, 0, sizes[i]))] });
  let offset = moofSize + BOX_HEADER_SIZE;
  const trafs: Box[] = [];
  withSamples.forEach((t, i) => {
    trafs.push(traf(t, offset, sizes[i]));
    for (const n of sizes[i]) offset += n;
  });
  const total = offset;
  const out = new Uint8Array(total);
  let pos = writeBox({ type: 'moof', children: [mfhd, ...trafs] }, out, 0);
  const view = new DataView(out.buffer);
  view.setUint32(pos, total - moofSize);
  out.set([0x6d, 0x64, 0x61, 0x74], pos + 4); // 'mdat'
  pos += BOX_HEADER_SIZE;
  for (const t of withSamples) {
    for (const s of t.samples) {
      for (const c of s.chunks) {
        if (s.nalUnits) {
          view.setUint32(pos, c.byteLength);
          pos += NAL_LENGTH_SIZE;
        }
        out.set(c, pos);
        pos += c.byteLength;
      }
    }
  }
  return out;
}


