/**
 * The CMAF/fMP4 initialization segment (ISO/IEC 14496-12 §8.2-8.8, ISO/IEC 23000-19 §7.3):
 *
 *  ftyp
 *  moov
 *    mvhd
 *    trak*   tkhd, mdia(mdhd, hdlr, minf(vmhd|smhd, dinf(dref(url )), stbl(stsd, stts, stsc, stsz, stco)))
 *    mvex    trex*
 *
 * The sample tables are empty: every sample lives in the movie fragments (moof+mdat).
 */
import { Box, BodyWriter, serializeBoxes } from './box';
import { avcCBox, esdsBox, hvcCBox, AvcConfig, HevcConfig } from './codec-config';

export type TrackCodecConfig =
  | { codec: 'h264'; config: AvcConfig; width: number; height: number }
  | { codec: 'h265'; config: HevcConfig; width: number; height: number }
  | { codec: 'aac'; audioSpecificConfig: Uint8Array; sampleRate: number; channels: number };

export interface TrackInit {
  /** track_ID (≥ 1), also used in the fragments. */
  id: number;
  /** Ticks per second of this track's decode times (90000 for video, the sample rate for audio). */
  timescale: number;
  codec: TrackCodecConfig;
}

const UNITY_MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];
/** ISO 639-2 "und", packed as three 5-bit letters (§8.4.2.3). */
const LANGUAGE_UND = 0x55c4;

const full = (version = 0, flags = 0): { version: number; flags: number } => ({ version, flags });

function matrix(w: BodyWriter): BodyWriter {
  for (const v of UNITY_MATRIX) w.u32(v);
  return w;
}

function mvhd(nextTrackId: number): Box {
  const w = new BodyWriter().u32(0).u32(0).u32(1000).u32(0).u32(0x00010000).u16(0x0100).zeros(10);
  matrix(w).zeros(24).u32(nextTrackId);
  return { type: 'mvhd', full: full(), body: w.build() };
}

function tkhd(track: TrackInit): Box {
  const audio = track.codec.codec === 'aac';
  const width = track.codec.codec === 'aac' ? 0 : track.codec.width;
  const height = track.codec.codec === 'aac' ? 0 : track.codec.height;
  const w = new BodyWriter().u32(0).u32(0).u32(track.id).u32(0).u32(0).zeros(8).u16(0).u16(0).u16(audio ? 0x0100 : 0).u16(0);
  matrix(w).u32(width * 0x10000).u32(height * 0x10000);
  // flags: track_enabled | track_in_movie.
  return { type: 'tkhd', full: full(0, 0x000003), body: w.build() };
}

function mdhd(timescale: number): Box {
  return { type: 'mdhd', full: full(), body: new BodyWriter().u32(0).u32(0).u32(timescale).u32(0).u16(LANGUAGE_UND).u16(0).build() };
}

function hdlr(audio: boolean): Box {
  const name = new TextEncoder().encode(audio ? 'SoundHandler\0' : 'VideoHandler\0');
  return { type: 'hdlr', full: full(), body: new BodyWriter().u32(0).fourcc(audio ? 'soun' : 'vide').zeros(12).raw(name).build() };
}

function visualSampleEntry(type: string, width: number, height: number, config: Box): Box {
  const w = new BodyWriter().zeros(6).u16(1) // reserved, data_reference_index
    .u16(0).u16(0).zeros(12) // pre_defined, reserved, pre_defined[3]
    .u16(width).u16(height)
    .u32(0x00480000).u32(0x00480000) // 72 dpi
    .u32(0).u16(1) // reserved, frame_count
    .zeros(32) // compressorname
    .u16(0x0018).u16(0xffff); // depth, pre_defined = -1
  return { type, body: w.build(), children: [config] };
}

function audioSampleEntry(trackId: number, sampleRate: number, channels: number, asc: Uint8Array): Box {
  const w = new BodyWriter().zeros(6).u16(1).zeros(8).u16(channels).u16(16).u16(0).u16(0).u32((sampleRate & 0xffff) * 0x10000);
  return { type: 'mp4a', body: w.build(), children: [esdsBox(trackId, asc)] };
}

function sampleEntry(track: TrackInit): Box {
  const c = track.codec;
  switch (c.codec) {
    case 'h264':
      return visualSampleEntry('avc1', c.width, c.height, avcCBox(c.config));
    case 'h265':
      // hev1: parameter sets may repeat in band (the packetizer puts them before keyframes).
      return visualSampleEntry('hev1', c.width, c.height, hvcCBox(c.config));
    case 'aac':
      return audioSampleEntry(track.id, c.sampleRate, c.channels, c.audioSpecificConfig);
  }
}

const emptyTable = (type: string): Box => ({ type, full: full(), body: new BodyWriter().u32(0).build() });

function trak(track: TrackInit): Box {
  const audio = track.codec.codec === 'aac';
  const mediaHeader: Box = audio
    ? { type: 'smhd', full: full(), body: new BodyWriter().u16(0).u16(0).build() }
    : { type: 'vmhd', full: full(0, 1), body: new BodyWriter().u16(0).zeros(6).build() };
  const dinf: Box = {
    type: 'dinf',
    children: [{ type: 'dref', full: full(), body: new BodyWriter().u32(1).build(), children: [{ type: 'url ', full: full(0, 1) }] }],
  };
  const stbl: Box = {
    type: 'stbl',
    children: [
      { type: 'stsd', full: full(), body: new BodyWriter().u32(1).build(), children: [sampleEntry(track)] },
      emptyTable('stts'),
      emptyTable('stsc'),
      { type: 'stsz', full: full(), body: new BodyWriter().u32(0).u32(0).build() },
      emptyTable('stco'),
    ],
  };
  return {
    type: 'trak',
    children: [tkhd(track), { type: 'mdia', children: [mdhd(track.timescale), hdlr(audio), { type: 'minf', children: [mediaHeader, dinf, stbl] }] }],
  };
}

function trex(trackId: number): Box {
  return { type: 'trex', full: full(), body: new BodyWriter().u32(trackId).u32(1).u32(0).u32(0).u32(0).build() };
}

/** ftyp + moov for the given tracks, as one buffer. */
export function buildInitSegment(tracks: readonly TrackInit[]): Uint8Array {
  const ftyp: Box = { type: 'ftyp', body: new BodyWriter().fourcc('iso5').u32(512).fourcc('iso5').fourcc('iso6').fourcc('mp41').fourcc('cmfc').build() };
  const nextTrackId = Math.max(0, ...tracks.map((t) => t.id)) + 1;
  const moov: Box = { type: 'moov', children: [mvhd(nextTrackId), ...tracks.map(trak), { type: 'mvex', children: tracks.map((t) => trex(t.id)) }] };
  return serializeBoxes([ftyp, moov]);
}
