/**
 * Playlist text (RFC 8216 §4, LL-HLS: draft-pantos-hls-rfc8216bis-17 §4.4.3.7-8, §4.4.4.9,
 * §4.4.5.3). All URIs are relative (§4.1: resolved against the playlist's URI), so the same
 * text works at `/<name>/` and behind a reverse proxy that adds a path prefix.
 */
import type { HlsSegment, HlsSegmenter } from './segmenter';

/** EXT-X-VERSION 9: LL-HLS tags need ≥ 6 for EXT-X-MAP with fMP4; 9 is what LL-HLS servers declare. */
export const HLS_VERSION = 9;

export interface SegmentNames {
  /** The init segment of one init version (a new one per parameter-set change). */
  init: (version: number) => string;
  segment: (msn: number) => string;
  part: (msn: number, index: number) => string;
}

/** File names under a muxer-instance prefix, so names never repeat across muxer restarts (caches). */
export function segmentNames(prefix: string): SegmentNames {
  return {
    init: (version) => `${prefix}_init${version}.mp4`,
    segment: (msn) => `${prefix}_seg${msn}.mp4`,
    part: (msn, index) => `${prefix}_part${msn}_${index}.mp4`,
  };
}

const seconds = (s: number): string => s.toFixed(5);

function programDateTime(segment: HlsSegment): string {
  return `#EXT-X-PROGRAM-DATE-TIME:${new Date(segment.programDateTimeMs).toISOString()}`;
}

export interface MediaPlaylistOptions {
  names: SegmentNames;
  /** Parts, preload hint and blocking reload (default true). */
  lowLatency: boolean;
}

export function renderMediaPlaylist(seg: HlsSegmenter, options: MediaPlaylistOptions): string {
  const { names, lowLatency } = options;
  const target = seg.targetDurationS();
  const partTarget = seg.partTargetS();
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${HLS_VERSION}`, `#EXT-X-TARGETDURATION:${target}`];
  if (lowLatency && partTarget > 0) {
    // PART-HOLD-BACK ≥ 2 × PART-TARGET (MUST), 3 × recommended (§4.4.3.8).
    lines.push(`#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${seconds(3 * partTarget)}`);
    lines.push(`#EXT-X-PART-INF:PART-TARGET=${seconds(partTarget)}`);
  }
  const first = seg.segments[0] ?? seg.building;
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${first?.msn ?? 0}`);
  if (seg.discontinuitySequence > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${seg.discontinuitySequence}`);
  let map: number | undefined;
  // The tags that belong to a segment come before its first part (or its EXTINF).
  const segmentTags = (s: HlsSegment): void => {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (s.initVersion !== map) {
      map = s.initVersion;
      lines.push(`#EXT-X-MAP:URI="${names.init(s.initVersion)}"`);
    }
    lines.push(programDateTime(s));
  };
  for (const s of seg.segments) {
    segmentTags(s);
    if (lowLatency) for (const p of s.parts) lines.push(partLine(names, p.msn, p.index, p.durationS, p.independent));
    lines.push(`#EXTINF:${seconds(s.durationS)},`, names.segment(s.msn));
  }
  const building = seg.building;
  if (lowLatency && building && building.parts.length > 0) {
    segmentTags(building);
    for (const p of building.parts) lines.push(partLine(names, p.msn, p.index, p.durationS, p.independent));
  }
  if (lowLatency && partTarget > 0) {
    const next = seg.nextPart();
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${names.part(next.msn, next.index)}"`);
  }
  return lines.join('\n') + '\n';
}

function partLine(names: SegmentNames, msn: number, index: number, durationS: number, independent: boolean): string {
  return `#EXT-X-PART:DURATION=${seconds(durationS)},URI="${names.part(msn, index)}"${independent ? ',INDEPENDENT=YES' : ''}`;
}

export interface VariantInfo {
  /** Peak bits per second (BANDWIDTH, §4.3.4.2 REQUIRED). */
  bandwidth: number;
  averageBandwidth?: number;
  /** RFC 6381 codec strings. */
  codecs: string[];
  resolution?: { width: number; height: number };
  frameRate?: number;
  uri: string;
  /**
   * EXT-X-INDEPENDENT-SEGMENTS (every segment starts with a keyframe); false once a GOP longer
   * than the target duration made the segmenter cut without one.
   */
  independentSegments: boolean;
}

export function renderMultivariantPlaylist(variant: VariantInfo): string {
  const attrs = [`BANDWIDTH=${Math.max(1, Math.round(variant.bandwidth))}`];
  if (variant.averageBandwidth !== undefined) attrs.push(`AVERAGE-BANDWIDTH=${Math.max(1, Math.round(variant.averageBandwidth))}`);
  attrs.push(`CODECS="${variant.codecs.join(',')}"`);
  if (variant.resolution) attrs.push(`RESOLUTION=${variant.resolution.width}x${variant.resolution.height}`);
  if (variant.frameRate !== undefined) attrs.push(`FRAME-RATE=${variant.frameRate.toFixed(3)}`);
  const independent = variant.independentSegments ? ['#EXT-X-INDEPENDENT-SEGMENTS'] : [];
  return ['#EXTM3U', `#EXT-X-VERSION:${HLS_VERSION}`, ...independent, `#EXT-X-STREAM-INF:${attrs.join(',')}`, variant.uri].join('\n') + '\n';
}

/** Peak and average bit rates over the segments (and parts) held, for BANDWIDTH. */
export function measureBandwidth(seg: HlsSegmenter): { peak: number; average: number } {
  let peak = 0;
  let bytes = 0;
  let duration = 0;
  const all = [...seg.segments, ...(seg.building ? [seg.building] : [])];
  for (const s of all) {
    let size = 0;
    for (const p of s.parts) size += p.bytes.byteLength;
    if (s.bytes) size = s.bytes.byteLength;
    if (s.durationS > 0) peak = Math.max(peak, (size * 8) / s.durationS);
    bytes += size;
    duration += s.durationS;
  }
  const average = duration > 0 ? (bytes * 8) / duration : 0;
  return { peak: Math.max(peak, average), average };
}
