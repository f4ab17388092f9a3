/**
 * Judging the timestamps a consumer saw, not only how many frames it got. Recorders
 * (`ffmpeg -c copy`) refuse a first packet without a timestamp, players stall or jump when
 * timestamps go backwards or leap, and A/V sync breaks when one track's clock jumps against the
 * other (a late first RTCP sender report does exactly that). Inputs are the per-frame lines of
 * ffmpeg's framecrc and ffprobe's packet lists, in seconds.
 */

export type MediaKind = 'video' | 'audio';

export interface TimedUnit {
  /** Seconds; undefined when the consumer had none (ffprobe's N/A). */
  pts?: number;
  dts?: number;
  duration?: number;
  keyframe?: boolean;
}

export interface TrackTimeline {
  kind: MediaKind;
  units: TimedUnit[];
}

export interface TimingLimits {
  /** Largest step between consecutive presentation times of one track (seconds past its duration). */
  maxJumpS?: number;
  /** Whether decode timestamps must rise strictly (packets) or may repeat (decoded frames). */
  strictDts?: boolean;
  /**
   * Judge decode order by dts (default true). False where the dts is the reader's own guess:
   * RTP carries no decode time, so ffmpeg guesses the first B-frames' dts from a pts buffer it
   * has not filled yet, and matroska stores none.
   */
  dts?: boolean;
  /**
   * Units at the end of each track left unjudged: where a read was cut (-t, -read_intervals)
   * B-frames of the last GOP are missing and the last PES of AAC frames is interpolated.
   */
  ignoreTail?: number;
}

export interface TimingReport {
  /** Human-readable problems, empty when the timeline is clean. */
  problems: string[];
  /** First unit's presentation time per kind (undefined when missing). */
  firstPts: Partial<Record<MediaKind, number>>;
  /** First audio pts minus first video pts, seconds (when both tracks exist). */
  audioMinusVideoS?: number;
  /** Largest step between consecutive presentation times (sorted), per kind, seconds. */
  largestStepS: Partial<Record<MediaKind, number>>;
}

const DEFAULT_MAX_JUMP_S = 0.04;

/**
 * Checks each track (video from its first keyframe when keyframes are known): every unit has a pts, decode order is monotonic (dts, or pts when dts is
 * absent), and presentation times, sorted, advance without steps larger than a unit's duration
 * plus `maxJumpS` (default 40 ms): a jump of audio against video is an A/V sync break.
 */
export function judgeTiming(tracks: readonly TrackTimeline[], limits: TimingLimits = {}): TimingReport {
  const maxJump = limits.maxJumpS ?? DEFAULT_MAX_JUMP_S;
  const problems: string[] = [];
  const firstPts: TimingReport['firstPts'] = {};
  const largestStepS: TimingReport['largestStepS'] = {};
  for (const [t, whole] of tracks.entries()) {
    const name = `${whole.kind} track ${t}`;
    // Video before its first keyframe is what a recorder drops (ffmpeg's stream copy does) and
    // a decoder cannot show: judged from the first keyframe on when keyframes are known.
    const firstKey = whole.kind === 'video' ? whole.units.findIndex((u) => u.keyframe === true) : -1;
    const tail = limits.ignoreTail ?? 0;
    const all = whole.units.slice(Math.max(0, firstKey));
    const track = { kind: whole.kind, units: all.slice(0, Math.max(0, all.length - tail)) };
    if (track.units.length === 0) continue;
    if (!(track.kind in firstPts)) firstPts[track.kind] = track.units[0].pts;
    const missing = track.units.findIndex((u) => u.pts === undefined);
    if (missing >= 0) problems.push(`${name}: unit ${missing} has no pts`);
    let prevDts: number | undefined;
    for (const [i, u] of track.units.entries()) {
      const d = limits.dts === false ? undefined : u.dts ?? u.pts;
      if (d === undefined) continue;
      if (prevDts !== undefined && (d < prevDts || (limits.strictDts && d === prevDts))) {
        problems.push(`${name}: decode time goes from ${prevDts.toFixed(4)} to ${d.toFixed(4)} at unit ${i}`);
        break;
      }
      prevDts = d;
    }
    // A cut read misses the frames decoded after its end, whose pts lie among the largest.
    const sorted = all.map((u) => u.pts).filter((p): p is number => p !== undefined).sort((a, b) => a - b);
    const pts = sorted.slice(0, Math.max(0, sorted.length - tail));
    const durations = track.units.map((u) => u.duration ?? 0).filter((x) => x > 0).sort((a, b) => a - b);
    const typical = durations.length > 0 ? durations[durations.length >> 1] : 0;
    let largest = 0;
    for (let i = 1; i < pts.length; i++) {
      const step = pts[i] - pts[i - 1];
      if (step > largest) largest = step;
      if (step > typical + maxJump + 1e-6) problems.push(`${name}: pts jumps ${(step * 1000).toFixed(1)} ms at ${pts[i - 1].toFixed(3)} s`);
    }
    largestStepS[track.kind] = Math.max(largestStepS[track.kind] ?? 0, largest);
  }
  const report: TimingReport = { problems, firstPts, largestStepS };
  if (firstPts.audio !== undefined && firstPts.video !== undefined) report.audioMinusVideoS = firstPts.audio - firstPts.video;
  return report;
}

/**
 * ffmpeg's framecrc output as timelines: `#tb <i>: num/den` and `#media_type <i>: <type>`
 * headers, then `stream, dts, pts, duration, size, crc` per frame, in the stream's time base.
 */
export function parseFramecrc(text: string): TrackTimeline[] {
  const tb = new Map<number, number>();
  const kinds = new Map<number, MediaKind>();
  const units = new Map<number, TimedUnit[]>();
  for (const line of text.split('\n')) {
    const tbHeader = /^#tb (\d+): (\d+)\/(\d+)/.exec(line);
    if (tbHeader) {
      tb.set(Number(tbHeader[1]), Number(tbHeader[2]) / Number(tbHeader[3]));
      continue;
    }
    const type = /^#media_type (\d+): (\w+)/.exec(line);
    if (type) {
      if (type[2] === 'video' || type[2] === 'audio') kinds.set(Number(type[1]), type[2]);
      continue;
    }
    const f = /^\s*(\d+),\s*(-?\d+),\s*(-?\d+),\s*(\d+),/.exec(line);
    if (!f) continue;
    const index = Number(f[1]);
    const scale = tb.get(index) ?? 1;
    const list = units.get(index) ?? [];
    list.push({ dts: Number(f[2]) * scale, pts: Number(f[3]) * scale, duration: Number(f[4]) * scale });
    units.set(index, list);
  }
  const out: TrackTimeline[] = [];
  for (const [index, kind] of [...kinds].sort((a, b) => a[0] - b[0])) out.push({ kind, units: units.get(index) ?? [] });
  return out;
}

interface ProbePacket {
  stream_index: number;
  pts_time?: string;
  dts_time?: string;
  duration_time?: string;
  flags?: string;
}

interface ProbeStreamHeader {
  index: number;
  codec_type?: string;
}

/** `ffprobe -show_entries packet=...:stream=index,codec_type -of json` output as timelines. */
export function parseProbePackets(json: string): TrackTimeline[] {
  const parsed = JSON.parse(json) as { packets?: ProbePacket[]; streams?: ProbeStreamHeader[] };
  const num = (v: string | undefined): number | undefined => (v === undefined || v === 'N/A' ? undefined : Number(v));
  const out: TrackTimeline[] = [];
  const byIndex = new Map<number, TrackTimeline>();
  for (const s of parsed.streams ?? []) {
    if (s.codec_type !== 'video' && s.codec_type !== 'audio') continue;
    const track: TrackTimeline = { kind: s.codec_type, units: [] };
    byIndex.set(s.index, track);
    out.push(track);
  }
  for (const p of parsed.packets ?? []) {
    byIndex.get(p.stream_index)?.units.push({
      pts: num(p.pts_time), dts: num(p.dts_time), duration: num(p.duration_time), keyframe: p.flags?.startsWith('K') ?? false,
    });
  }
  return out;
}
