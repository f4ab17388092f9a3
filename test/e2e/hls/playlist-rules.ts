/**
 * Our HLS playlist validator (Apple's mediastreamvalidator does not run here). Each rule is a
 * MUST of RFC 8216 or of the LL-HLS revision (draft-pantos-hls-rfc8216bis-17), cited by section.
 * `checkPlaylist` judges one playlist; `checkReloads` judges successive reloads of one media
 * playlist. They return the violations (empty = valid), never throw on malformed input.
 *
 * Rules checked (id: rule, section):
 *  M1  the first line is #EXTM3U                                                   8216 §4.3.1.1
 *  M2  EXT-X-VERSION at most once                                                  8216 §4.3.1.2
 *  M3  a playlist is either a media or a multivariant playlist, not both           8216 §4.1, §4.3.4
 *  M4  attribute lists parse (AttributeName=AttributeValue, quoted strings closed) 8216 §4.2
 *  V1  EXT-X-STREAM-INF has BANDWIDTH and is followed by a URI line                8216 §4.3.4.2
 *  V2  CODECS, when present, is a quoted list                                      8216 §4.3.4.2
 *  S1  EXT-X-TARGETDURATION exactly once                                           8216 §4.3.3.1
 *  S2  every EXTINF rounded to the nearest integer ≤ EXT-X-TARGETDURATION          8216 §4.3.3.1
 *  S3  every segment URI is preceded by EXTINF                                     8216 §4.3.2.1
 *  S4  EXT-X-MEDIA-SEQUENCE at most once, before the first segment                 8216 §4.3.3.2
 *  S5  EXT-X-MAP has URI; with fMP4 init (EXT-X-MAP) EXT-X-VERSION ≥ 6             8216 §4.3.2.5, §7
 *  S6  EXT-X-PROGRAM-DATE-TIME is ISO 8601 with a time zone                        8216 §4.3.2.6
 *  S7  URIs are relative (so the playlist works behind a path prefix)              our rule, 8216 §4.1
 *  S8  EXT-X-DISCONTINUITY-SEQUENCE at most once, before the first segment and
 *      before any EXT-X-DISCONTINUITY                                              8216 §4.3.3.3
 *  S9  a segment whose EXT-X-MAP differs from the previous segment's carries
 *      EXT-X-DISCONTINUITY (new parameter sets are an encoding change)             our rule, 8216 §4.3.2.3
 *  L1  EXT-X-PART needs EXT-X-PART-INF with PART-TARGET                            bis §4.4.3.7
 *  L2  every part DURATION ≤ PART-TARGET                                           bis §4.4.4.9
 *  L3  every part ≥ 85% of PART-TARGET, except INDEPENDENT=YES parts and the last
 *      part of a parent segment                                                    bis §4.4.4.9
 *  L4  with EXT-X-PART-INF, SERVER-CONTROL has PART-HOLD-BACK ≥ 2 × PART-TARGET    bis §4.4.3.8
 *  L5  HOLD-BACK, when present, ≥ 3 × TARGETDURATION                               bis §4.4.3.8
 *  L6  the parts of a complete segment add up to its EXTINF                        bis §4.4.4.9
 *  L7  EXT-X-PRELOAD-HINT has TYPE (PART|MAP) and URI, at most one per TYPE        bis §4.4.5.3
 *  L8  EXT-X-PART has DURATION and URI                                             bis §4.4.4.9
 *  R1  across reloads EXT-X-TARGETDURATION does not change                         8216 §6.2.1
 *  R2  across reloads a segment URI keeps its media sequence number, and
 *      EXT-X-MEDIA-SEQUENCE never decreases                                        8216 §6.2.1-2
 *  R3  across reloads a segment URI keeps its discontinuity sequence number
 *      (EXT-X-DISCONTINUITY-SEQUENCE counts the discontinuities removed) and its
 *      EXT-X-MAP                                                                   8216 §6.2.1-2
 */

export interface Violation {
  rule: string;
  line: number;
  detail: string;
}

export interface ParsedSegment {
  msn: number;
  uri: string;
  duration: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE + the EXT-X-DISCONTINUITY tags up to this segment. */
  discontinuitySequence: number;
  /** The EXT-X-MAP URI that applies to it ('' without one). */
  map: string;
  parts: Array<{ duration: number; uri: string; independent: boolean }>;
}

export interface ParsedMediaPlaylist {
  targetDuration?: number;
  mediaSequence: number;
  discontinuitySequence: number;
  partTarget?: number;
  segments: ParsedSegment[];
  /** Parts after the last complete segment (the segment being built). */
  trailingParts: Array<{ duration: number; uri: string; independent: boolean }>;
  preloadHints: Array<{ type: string; uri: string }>;
}

/** AttributeName=AttributeValue list (RFC 8216 §4.2); undefined when malformed. */
export function parseAttributes(text: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    const m = /^([A-Z0-9-]+)=/.exec(text.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    let value: string;
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) return undefined;
      value = text.slice(i + 1, end);
      i = end + 1;
    } else {
      const end = text.indexOf(',', i);
      value = end < 0 ? text.slice(i) : text.slice(i, end);
      i = end < 0 ? text.length : end;
    }
    out.set(m[1], value);
    if (i < text.length) {
      if (text[i] !== ',') return undefined;
      i++;
    }
  }
  return out;
}

const ISO_8601_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
const MULTIVARIANT_TAGS = ['#EXT-X-STREAM-INF', '#EXT-X-MEDIA:', '#EXT-X-I-FRAME-STREAM-INF', '#EXT-X-SESSION-DATA'];
const MEDIA_TAGS = ['#EXTINF', '#EXT-X-TARGETDURATION', '#EXT-X-MEDIA-SEQUENCE', '#EXT-X-PART:', '#EXT-X-MAP'];

export function checkPlaylist(text: string): { violations: Violation[]; media?: ParsedMediaPlaylist } {
  const v: Violation[] = [];
  const add = (rule: string, line: number, detail: string): void => {
    v.push({ rule, line, detail });
  };
  const lines = text.split(/\r?\n/);
  if (lines[0] !== '#EXTM3U') add('M1', 1, `first line is ${JSON.stringify(lines[0])}`);
  const has = (prefixes: string[]): boolean => lines.some((l) => prefixes.some((p) => l.startsWith(p)));
  const isMultivariant = has(MULTIVARIANT_TAGS);
  const isMedia = has(MEDIA_TAGS);
  if (isMultivariant && isMedia) add('M3', 0, 'both media and multivariant tags');
  let version: number | undefined;
  let versions = 0;
  for (const [i, l] of lines.entries()) {
    if (l.startsWith('#EXT-X-VERSION:')) {
      versions++;
      version = Number(l.slice('#EXT-X-VERSION:'.length));
      if (versions > 1) add('M2', i + 1, 'EXT-X-VERSION repeated');
    }
    if (!l.startsWith('#') && l.trim() !== '' && /^[a-z][a-z0-9+.-]*:|^\//i.test(l)) add('S7', i + 1, `absolute URI ${l}`);
  }
  if (isMultivariant) {
    for (const [i, l] of lines.entries()) {
      if (!l.startsWith('#EXT-X-STREAM-INF:')) continue;
      const attrs = parseAttributes(l.slice('#EXT-X-STREAM-INF:'.length));
      if (!attrs) {
        add('M4', i + 1, 'malformed attribute list');
        continue;
      }
      if (!/^\d+$/.test(attrs.get('BANDWIDTH') ?? '')) add('V1', i + 1, 'BANDWIDTH missing or not an integer');
      const codecs = l.includes('CODECS=') ? /CODECS="[^"]+"/.test(l) : true;
      if (!codecs) add('V2', i + 1, 'CODECS is not a quoted string');
      const next = lines[i + 1] ?? '';
      if (next.startsWith('#') || next.trim() === '') add('V1', i + 1, 'EXT-X-STREAM-INF not followed by a URI');
    }
    return { violations: v };
  }
  const media = checkMedia(lines, version, add);
  return { violations: v, media };
}

function checkMedia(lines: string[], version: number | undefined, add: (rule: string, line: number, detail: string) => void): ParsedMediaPlaylist {
  const out: ParsedMediaPlaylist = { mediaSequence: 0, discontinuitySequence: 0, segments: [], trailingParts: [], preloadHints: [] };
  let discontinuitySequenceSeen = false;
  let discontinuities = 0;
  let pendingDiscontinuity = false;
  let map = '';
  let previousMap: string | undefined;
  let targets = 0;
  let mediaSequenceSeen = false;
  let sawSegment = false;
  let pendingDuration: number | undefined;
  let parts: ParsedMediaPlaylist['trailingParts'] = [];
  let holdBack: number | undefined;
  let partHoldBack: number | undefined;
  let hasMap = false;
  const partLines: Array<{ line: number; duration: number; independent: boolean; lastOfParent: () => boolean }> = [];
  for (const [i, l] of lines.entries()) {
    const n = i + 1;
    if (l.startsWith('#EXT-X-TARGETDURATION:')) {
      targets++;
      out.targetDuration = Number(l.split(':')[1]);
    } else if (l.startsWith('#EXT-X-MEDIA-SEQUENCE:')) {
      if (mediaSequenceSeen) add('S4', n, 'EXT-X-MEDIA-SEQUENCE repeated');
      if (sawSegment) add('S4', n, 'EXT-X-MEDIA-SEQUENCE after a segment');
      mediaSequenceSeen = true;
      out.mediaSequence = Number(l.split(':')[1]);
    } else if (l.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE:')) {
      if (discontinuitySequenceSeen) add('S8', n, 'EXT-X-DISCONTINUITY-SEQUENCE repeated');
      if (sawSegment || discontinuities > 0 || pendingDiscontinuity) add('S8', n, 'EXT-X-DISCONTINUITY-SEQUENCE after a segment or a discontinuity');
      discontinuitySequenceSeen = true;
      out.discontinuitySequence = Number(l.split(':')[1]);
    } else if (l === '#EXT-X-DISCONTINUITY') {
      pendingDiscontinuity = true;
    } else if (l.startsWith('#EXT-X-MAP:')) {
      hasMap = true;
      const attrs = parseAttributes(l.slice('#EXT-X-MAP:'.length));
      if (!attrs?.get('URI')) add('S5', n, 'EXT-X-MAP without URI');
      else map = attrs.get('URI') ?? '';
    } else if (l.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      const value = l.slice('#EXT-X-PROGRAM-DATE-TIME:'.length);
      if (!ISO_8601_WITH_ZONE.test(value) || Number.isNaN(Date.parse(value))) add('S6', n, `bad date ${value}`);
    } else if (l.startsWith('#EXT-X-PART-INF:')) {
      const attrs = parseAttributes(l.slice('#EXT-X-PART-INF:'.length));
      const t = Number(attrs?.get('PART-TARGET'));
      if (!attrs || !(t > 0)) add('L1', n, 'EXT-X-PART-INF without a positive PART-TARGET');
      else out.partTarget = t;
    } else if (l.startsWith('#EXT-X-SERVER-CONTROL:')) {
      const attrs = parseAttributes(l.slice('#EXT-X-SERVER-CONTROL:'.length));
      if (!attrs) add('M4', n, 'malformed SERVER-CONTROL');
      if (attrs?.has('HOLD-BACK')) holdBack = Number(attrs.get('HOLD-BACK'));
      if (attrs?.has('PART-HOLD-BACK')) partHoldBack = Number(attrs.get('PART-HOLD-BACK'));
    } else if (l.startsWith('#EXT-X-PART:')) {
      const attrs = parseAttributes(l.slice('#EXT-X-PART:'.length));
      const duration = Number(attrs?.get('DURATION'));
      const uri = attrs?.get('URI');
      if (!attrs || !(duration > 0) || !uri) {
        add('L8', n, 'EXT-X-PART without DURATION or URI');
        continue;
      }
      const part = { duration, uri, independent: attrs.get('INDEPENDENT') === 'YES' };
      parts.push(part);
      const parent = parts;
      partLines.push({ line: n, duration, independent: part.independent, lastOfParent: () => parent[parent.length - 1] === part && parent !== out.trailingParts });
    } else if (l.startsWith('#EXT-X-PRELOAD-HINT:')) {
      const attrs = parseAttributes(l.slice('#EXT-X-PRELOAD-HINT:'.length));
      const type = attrs?.get('TYPE');
      const uri = attrs?.get('URI');
      if (!attrs || (type !== 'PART' && type !== 'MAP') || !uri) add('L7', n, 'PRELOAD-HINT needs TYPE=PART|MAP and URI');
      else {
        if (out.preloadHints.some((h) => h.type === type)) add('L7', n, `second PRELOAD-HINT of TYPE ${type}`);
        out.preloadHints.push({ type, uri });
      }
    } else if (l.startsWith('#EXTINF:')) {
      pendingDuration = Number(l.slice('#EXTINF:'.length).split(',')[0]);
      if (!(pendingDuration >= 0)) add('S3', n, `bad EXTINF ${l}`);
    } else if (!l.startsWith('#') && l.trim() !== '') {
      sawSegment = true;
      if (pendingDuration === undefined) {
        add('S3', n, `segment ${l} without EXTINF`);
        continue;
      }
      if (pendingDiscontinuity) discontinuities++;
      if (previousMap !== undefined && map !== previousMap && !pendingDiscontinuity) add('S9', n, `EXT-X-MAP changes to ${map} without EXT-X-DISCONTINUITY`);
      previousMap = map;
      pendingDiscontinuity = false;
      const segment: ParsedSegment = {
        msn: out.mediaSequence + out.segments.length, uri: l, duration: pendingDuration, discontinuitySequence: out.discontinuitySequence + discontinuities, map, parts,
      };
      out.segments.push(segment);
      if (parts.length > 0) {
        const sum = parts.reduce((a, p) => a + p.duration, 0);
        // Durations are printed with 5 decimals: allow their rounding.
        if (Math.abs(sum - segment.duration) > 0.00001 * (parts.length + 1)) add('L6', n, `parts add up to ${sum}, EXTINF ${segment.duration}`);
      }
      parts = [];
      pendingDuration = undefined;
    }
  }
  out.trailingParts = parts;
  if (targets !== 1) add('S1', 0, `${targets} EXT-X-TARGETDURATION tags`);
  if (hasMap && (version ?? 1) < 6) add('S5', 0, `EXT-X-MAP needs EXT-X-VERSION ≥ 6 (got ${version ?? 'none'})`);
  for (const s of out.segments) {
    if (out.targetDuration !== undefined && Math.round(s.duration) > out.targetDuration) add('S2', 0, `EXTINF ${s.duration} > target ${out.targetDuration}`);
  }
  if (partLines.length > 0 && out.partTarget === undefined) add('L1', 0, 'EXT-X-PART without EXT-X-PART-INF');
  if (out.partTarget !== undefined) {
    const t = out.partTarget;
    for (const p of partLines) {
      if (p.duration > t + 1e-9) add('L2', p.line, `part of ${p.duration} s > PART-TARGET ${t}`);
      if (p.duration < 0.85 * t - 1e-9 && !p.independent && !p.lastOfParent()) add('L3', p.line, `part of ${p.duration} s < 85% of PART-TARGET ${t}`);
    }
    if (partHoldBack === undefined || partHoldBack < 2 * t - 1e-9) add('L4', 0, `PART-HOLD-BACK ${partHoldBack} < 2 × ${t}`);
  }
  if (holdBack !== undefined && out.targetDuration !== undefined && holdBack < 3 * out.targetDuration) add('L5', 0, `HOLD-BACK ${holdBack} < 3 × ${out.targetDuration}`);
  return out;
}

/** Rules across successive reloads of one media playlist (R1, R2, R3). */
export function checkReloads(playlists: readonly ParsedMediaPlaylist[]): Violation[] {
  const v: Violation[] = [];
  const msnOf = new Map<string, number>();
  const placeOf = new Map<string, string>();
  let lastSequence = -1;
  let target: number | undefined;
  playlists.forEach((p, i) => {
    if (target !== undefined && p.targetDuration !== target) v.push({ rule: 'R1', line: 0, detail: `reload ${i}: target ${p.targetDuration} after ${target}` });
    target = p.targetDuration;
    if (p.mediaSequence < lastSequence) v.push({ rule: 'R2', line: 0, detail: `reload ${i}: media sequence ${p.mediaSequence} after ${lastSequence}` });
    lastSequence = p.mediaSequence;
    for (const s of p.segments) {
      const known = msnOf.get(s.uri);
      if (known !== undefined && known !== s.msn) v.push({ rule: 'R2', line: 0, detail: `${s.uri} was ${known}, now ${s.msn}` });
      msnOf.set(s.uri, s.msn);
      const place = `discontinuity sequence ${s.discontinuitySequence}, map ${s.map}`;
      const before = placeOf.get(s.uri);
      if (before !== undefined && before !== place) v.push({ rule: 'R3', line: 0, detail: `${s.uri}: ${before}, now ${place}` });
      placeOf.set(s.uri, place);
    }
  });
  return v;
}
