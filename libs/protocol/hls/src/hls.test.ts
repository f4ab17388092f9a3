import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readBoxes } from '@streamgate/protocol-fmp4';
import { DecodeTimeEstimator, frameDuration, reorderDepth } from './decode-time';
import { HlsSegmenter, MediaSample } from './segmenter';
import { measureBandwidth, renderMediaPlaylist, renderMultivariantPlaylist, segmentNames } from './playlist';

const FRAME = 3600; // 25 fps at 90 kHz

describe('decode times from presentation times', () => {
  test('I P B B (x264 -bf 2, decode order): depth 1, DTS increasing, PTS ≥ DTS', () => {
    const pts = [0, 3, 1, 2, 6, 4, 5, 9, 7, 8].map((f) => f * FRAME);
    assert.equal(reorderDepth(pts), 1);
    assert.equal(frameDuration(pts, 0), FRAME);
    const est = new DecodeTimeEstimator<number>(1, FRAME);
    const out = [...pts.flatMap((p, i) => est.push(p, i)), ...est.flush()];
    assert.deepEqual(out.map((o) => o.unit), pts.map((_p, i) => i), 'decode order kept');
    for (let i = 1; i < out.length; i++) assert.ok(out[i].dts > out[i - 1].dts);
    for (const o of out) assert.ok(o.pts >= o.dts, `pts ${o.pts} dts ${o.dts}`);
    assert.deepEqual(out.map((o) => o.dts), pts.map((_p, i) => (i - 1) * FRAME), 'one frame apart');
  });

  test('no B-frames: depth 0 and DTS = PTS, with no delay', () => {
    const est = new DecodeTimeEstimator<number>(0, FRAME);
    assert.deepEqual(est.push(0, 0).map((o) => o.dts), [0]);
    assert.deepEqual(est.push(FRAME, 1).map((o) => o.dts), [FRAME]);
  });

  test('property: any reordering within the learned depth gives increasing DTS with PTS ≥ DTS', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 40 }), (groups) => {
      // Each group is one reference frame followed by B-frames that present before it.
      const pts: number[] = [];
      let next = 0;
      for (const n of groups) {
        pts.push((next + n - 1) * FRAME);
        for (let k = 0; k < n - 1; k++) pts.push((next + k) * FRAME);
        next += n;
      }
      const depth = reorderDepth(pts);
      const est = new DecodeTimeEstimator<number>(depth, frameDuration(pts, FRAME));
      const out = [...pts.flatMap((p, i) => est.push(p, i)), ...est.flush()];
      for (let i = 1; i < out.length; i++) assert.ok(out[i].dts > out[i - 1].dts);
      for (const o of out) assert.ok(o.pts >= o.dts);
    }));
  });
});

interface FeedShape {
  /** Whether frame i is a keyframe (default: every gopFrames). */
  keyframe?: (i: number) => boolean;
  /** The init version of frame i (parameter-set changes). */
  initVersion?: (i: number) => number;
  /** Frames fed before this one (continues a timeline). */
  from?: number;
}

function feed(seg: HlsSegmenter, seconds: number, gopFrames = 25, audio = true, shape: FeedShape = {}): void {
  const from = shape.from ?? 0;
  const frames = seconds * 25;
  let a = Math.ceil((from / 25) * (48000 / 1024));
  for (let i = from; i < from + frames; i++) {
    const t = i * FRAME;
    const keyframe = shape.keyframe ? shape.keyframe(i) : i % gopFrames === 0;
    seg.pushVideo({ dts: t, pts: t, keyframe, chunks: [Uint8Array.of(0x65, i & 0xff)], nalUnits: true, wallClockMs: 1_700_000_000_000 + i * 40, initVersion: shape.initVersion?.(i) });
    // AAC at 48 kHz: 1024 samples per frame, interleaved by time.
    while (audio && (a * 1024) / 48000 <= i / 25) {
      const s: MediaSample = { dts: a * 1024, pts: a * 1024, keyframe: true, chunks: [Uint8Array.of(0x21, a & 0xff)], nalUnits: false, wallClockMs: 0 };
      seg.pushAudio(s);
      a++;
    }
  }
}

describe('LL-HLS segmenter', () => {
  const options = { video: { id: 1, timescale: 90000 }, audio: { id: 2, timescale: 48000 }, segmentDurationS: 1, partDurationS: 0.2, segmentCount: 4 };

  test('segments start on keyframes after the target; parts of 5 frames; INDEPENDENT on segment starts', () => {
    const seg = new HlsSegmenter(options);
    feed(seg, 10);
    assert.equal(seg.segments.length, 4, 'bounded to segmentCount');
    for (const s of seg.segments) {
      assert.ok(Math.abs(s.durationS - 1) < 1e-9, `segment of ${s.durationS} s`);
      assert.ok(s.independent);
      assert.ok(s.bytes && s.bytes.byteLength > 0);
    }
    const recent = seg.segments[seg.segments.length - 1];
    assert.deepEqual(recent.parts.map((p) => p.durationS.toFixed(3)), ['0.200', '0.200', '0.200', '0.200', '0.200']);
    assert.deepEqual(recent.parts.map((p) => p.independent), [true, false, false, false, false]);
    assert.equal(seg.partTargetS(), 0.2);
    assert.equal(seg.targetDurationS(), 1);
    // The segment is its parts back to back: moof/mdat pairs, video and audio trafs in each.
    const boxes = readBoxes(recent.bytes as Uint8Array);
    assert.deepEqual(boxes.map((b) => b.type), Array.from({ length: 5 }, () => ['moof', 'mdat']).flat());
    assert.equal(boxes[0].children.filter((b) => b.type === 'traf').length, 2);
  });

  /** Target duration and PART-TARGET after every update once the first segment exists. */
  function watchTargets(seg: HlsSegmenter, seen: Set<string>): void {
    const opts = (seg as unknown as { options: { onUpdate?: () => void } }).options;
    opts.onUpdate = () => {
      if (seg.segmentsProduced > 0) seen.add(`${seg.targetDurationS()}/${seg.partTargetS()}`);
    };
  }

  test('a GOP longer than the target from the start: the target is the GOP (rounded), fixed, segments as long as the GOP', () => {
    const seg = new HlsSegmenter({ ...options, segmentCount: 6 });
    const seen = new Set<string>();
    watchTargets(seg, seen);
    feed(seg, 24, 75, false);
    assert.equal(seg.segments.length, 6);
    assert.ok(seg.segments.every((s) => Math.abs(s.durationS - 3) < 1e-9 && s.independent));
    assert.deepEqual([...seen], ['3/0.2'], 'EXT-X-TARGETDURATION and PART-TARGET never change');
    assert.equal(seg.forcedCuts, 0);
    assert.ok(seg.segments[0].parts.length === 0, 'parts dropped from segments older than 3 target durations');
  });

  test('a GOP that grows mid-stream (1 s, 1 s, then 4 s): the target stays 1 s and the long GOP is cut without keyframes (RFC 8216 §6.2.1, §4.3.3.1)', () => {
    const seg = new HlsSegmenter({ ...options, segmentCount: 20 });
    const seen = new Set<string>();
    watchTargets(seg, seen);
    // Keyframes at 0, 1, 2 s of every 6 s cycle: GOPs of 1, 1 and 4 s.
    feed(seg, 18, 25, true, { keyframe: (i) => i % 150 === 0 || i % 150 === 25 || i % 150 === 50 });
    assert.deepEqual([...seen], ['1/0.2'], 'EXT-X-TARGETDURATION and PART-TARGET never change');
    for (const s of seg.segments) assert.ok(Math.round(s.durationS) <= 1, `EXTINF ${s.durationS} rounds above the target 1`);
    assert.ok(seg.forcedCuts >= 4, `${seg.forcedCuts} cuts without a keyframe`);
    assert.ok(seg.segments.some((s) => !s.independent) && seg.segments.some((s) => s.independent));
    for (const s of seg.segments) {
      assert.equal(s.parts[0]?.independent ?? s.independent, s.independent, 'a segment is independent iff its first part is');
      for (const p of s.parts) assert.ok(p.durationS <= seg.partTargetS() + 1e-9);
    }
    const text = renderMediaPlaylist(seg, { names: segmentNames('abcd0123'), lowLatency: true });
    assert.match(text, /#EXT-X-TARGETDURATION:1\n/);
  });

  test('a GOP longer than maxTargetDurationS: the first segment is cut at that limit, and the target is the limit', () => {
    const seg = new HlsSegmenter({ ...options, maxTargetDurationS: 4, segmentCount: 10 });
    const seen = new Set<string>();
    watchTargets(seg, seen);
    feed(seg, 30, 750, false);
    assert.deepEqual([...seen], ['4/0.2']);
    for (const s of seg.segments) assert.ok(s.durationS < 4.5 && Math.round(s.durationS) <= 4, `segment of ${s.durationS} s`);
    assert.ok(seg.segments[0].independent && !seg.segments[1].independent);
  });

  test('limits: part duration must be positive and at most the segment duration', () => {
    assert.throws(() => new HlsSegmenter({ ...options, partDurationS: 0 }), /part duration/);
    assert.throws(() => new HlsSegmenter({ ...options, partDurationS: 2 }), /part duration/);
  });

  test('new parameter sets (init version 1) at a keyframe: a new segment with EXT-X-DISCONTINUITY and a new EXT-X-MAP; the discontinuity sequence counts it once it scrolls out', () => {
    const seg = new HlsSegmenter({ ...options, segmentCount: 4 });
    const names = segmentNames('abcd0123');
    // The change comes mid-GOP with an IDR (a re-publish): frame 60 is a keyframe of version 1.
    const keyframe = (i: number): boolean => i % 25 === 0 || i === 60;
    feed(seg, 5, 25, true, { keyframe, initVersion: (i) => (i >= 60 ? 1 : 0) });
    const cut = seg.segments.find((s) => s.discontinuity);
    assert.ok(cut, 'a discontinuity segment');
    assert.equal(cut.initVersion, 1);
    assert.ok(cut.independent);
    const before = seg.segments[seg.segments.indexOf(cut) - 1];
    assert.ok(before && before.initVersion === 0 && Math.abs(before.durationS - 0.4) < 1e-9, 'the segment before ends at the change');
    const text = renderMediaPlaylist(seg, { names, lowLatency: true });
    assert.match(text, /#EXT-X-MAP:URI="abcd0123_init0.mp4"\n#EXT-X-PROGRAM-DATE-TIME:[^\n]+\n(#EXT-X-PART:[^\n]+\n)*#EXTINF/);
    assert.match(text, /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="abcd0123_init1.mp4"\n#EXT-X-PROGRAM-DATE-TIME/);
    assert.doesNotMatch(text, /DISCONTINUITY-SEQUENCE/);
    // Later segments keep version 1 without another MAP or discontinuity; once the cut segment
    // scrolls out, EXT-X-DISCONTINUITY-SEQUENCE counts it (RFC 8216 §6.2.2).
    feed(seg, 6, 25, true, { from: 125, initVersion: () => 1 });
    const later = renderMediaPlaylist(seg, { names, lowLatency: true });
    assert.equal(seg.discontinuitySequence, 1);
    assert.match(later, /#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXT-X-MAP:URI="abcd0123_init1.mp4"/);
    assert.equal(later.match(/EXT-X-MAP/g)?.length, 1);
    assert.doesNotMatch(later, /#EXT-X-DISCONTINUITY\n/);
  });

  test('a hole in the source (2.5 s without media, then a re-publish at a keyframe): no sample, part or segment spans it', () => {
    const seg = new HlsSegmenter({ ...options, segmentCount: 10 });
    feed(seg, 2, 25, false);
    // Frames 0..49 fed (frame 49 is held); the source comes back 2.5 s later on a keyframe.
    feed(seg, 3, 25, false, { from: 50 + 62, keyframe: (i) => (i - 112) % 25 === 0 });
    for (const s of seg.segments) {
      assert.ok(Math.round(s.durationS) <= seg.targetDurationS(), `segment of ${s.durationS} s`);
      for (const p of s.parts) assert.ok(p.durationS <= seg.partTargetS() + 1e-9, `part of ${p.durationS} s`);
    }
    const total = seg.segments.reduce((a, s) => a + s.durationS, 0);
    assert.ok(total < 4.5, `${total} s of segments for ~4 s of media: the hole is not stretched into a sample`);
  });

  test('a short hole (0.3 s, longer than PART-TARGET) mid-GOP: the part and segment end there; no part above PART-TARGET or below 85 % of it mid-segment', () => {
    const seg = new HlsSegmenter({ ...options, segmentCount: 10 });
    feed(seg, 2, 25, false);
    feed(seg, 3, 25, false, { from: 50 + 7, keyframe: (i) => (i - 57) % 25 === 12 });
    for (const s of seg.segments) {
      s.parts.forEach((p, i) => {
        assert.ok(p.durationS <= seg.partTargetS() + 1e-9, `part of ${p.durationS} s`);
        if (i < s.parts.length - 1 && !p.independent) assert.ok(p.durationS >= 0.85 * seg.partTargetS() - 1e-9, `part ${i} of ${p.durationS} s mid-segment`);
      });
    }
    assert.ok(seg.forcedCuts >= 1, 'the segment after the hole starts without a keyframe');
  });

  test('a late frame (160 ms after the one before, under PART-TARGET) three frames into a part: that part ends its segment, no short part mid-segment', () => {
    const seg = new HlsSegmenter({ ...options, segmentCount: 10 });
    feed(seg, 2);
    // Frames 50..61, then 66 on: frame 61 lasts 200 ms, the part of 60-61 would have been cut at 80 ms (CI: 0.12 s).
    feed(seg, 0.48, 25, true, { from: 50 });
    feed(seg, 2, 25, true, { from: 66 });
    const cuts = seg.forcedCuts;
    for (const s of seg.segments) {
      s.parts.forEach((p, i) => {
        assert.ok(p.durationS <= seg.partTargetS() + 1e-9, `part of ${p.durationS} s`);
        if (i < s.parts.length - 1 && !p.independent) assert.ok(p.durationS >= 0.85 * seg.partTargetS() - 1e-9, `part ${i} of ${p.durationS} s mid-segment`);
      });
    }
    assert.ok(cuts >= 1, 'a segment cut at the late frame');
  });

  test('has(): parts and segments that exist, including the part being built', () => {
    const seg = new HlsSegmenter(options);
    feed(seg, 3);
    const next = seg.nextPart();
    assert.equal(seg.has(next.msn, next.index), false);
    assert.equal(seg.has(next.msn, Math.max(0, next.index - 1)), next.index > 0);
    assert.equal(seg.has(seg.segments[0].msn), true);
    assert.equal(seg.has(next.msn + 5), false);
  });

  test('media playlist: LL-HLS tags, relative URIs, parts then EXTINF, preload hint for the next part', () => {
    const seg = new HlsSegmenter(options);
    feed(seg, 4);
    const text = renderMediaPlaylist(seg, { names: segmentNames('abcd0123'), lowLatency: true });
    const lines = text.trim().split('\n');
    assert.equal(lines[0], '#EXTM3U');
    assert.ok(lines.includes('#EXT-X-TARGETDURATION:1'));
    assert.ok(lines.includes('#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.60000'));
    assert.ok(lines.includes('#EXT-X-PART-INF:PART-TARGET=0.20000'));
    assert.ok(lines.includes('#EXT-X-MAP:URI="abcd0123_init0.mp4"'));
    const next = seg.nextPart();
    assert.equal(lines[lines.length - 1], `#EXT-X-PRELOAD-HINT:TYPE=PART,URI="abcd0123_part${next.msn}_${next.index}.mp4"`);
    assert.ok(lines.every((l) => !/^(https?:|\/)/.test(l)), 'relative URIs');
    const plain = renderMediaPlaylist(seg, { names: segmentNames('abcd0123'), lowLatency: false });
    assert.doesNotMatch(plain, /EXT-X-PART|PRELOAD-HINT|SERVER-CONTROL/);
    assert.match(plain, /#EXTINF:1\.00000,\nabcd0123_seg\d+\.mp4/);
  });

  test('multivariant playlist: BANDWIDTH, CODECS, RESOLUTION', () => {
    const seg = new HlsSegmenter(options);
    feed(seg, 3);
    const bw = measureBandwidth(seg);
    assert.ok(bw.peak >= bw.average && bw.average > 0);
    const variant = { bandwidth: bw.peak, codecs: ['avc1.64001e', 'mp4a.40.2'], resolution: { width: 640, height: 360 }, uri: 'stream.m3u8', independentSegments: true };
    const text = renderMultivariantPlaylist(variant);
    assert.match(text, /^#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360\nstream.m3u8\n$/);
    assert.doesNotMatch(renderMultivariantPlaylist({ ...variant, independentSegments: false }), /INDEPENDENT-SEGMENTS/);
  });
});
