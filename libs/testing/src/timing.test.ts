import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { judgeTiming, parseFramecrc, parseProbePackets, TrackTimeline } from './timing';

// The head of `ffmpeg -rtsp_transport tcp -i rtsp://<GStreamer camera> -map 0 -t 1 -f framecrc -`
// (ffmpeg 5.1.9, Debian 12), kept as ffmpeg wrote it.
const FRAMECRC = [
  '#software: Lavf59.27.100', '#tb 0: 1/25', '#media_type 0: video', '#codec_id 0: rawvideo', '#dimensions 0: 640x360',
  '#sar 0: 1/1', '#tb 1: 1/48000', '#media_type 1: audio', '#codec_id 1: pcm_s16le', '#sample_rate 1: 48000',
  '#channel_layout_name 1: stereo',
  '0,          0,          0,        1,   345600, 0xdb3be108',
  '1,          0,          0,     1024,     4096, 0x7810df3c',
  '1,       1023,       1023,     1024,     4096, 0xcd44d1e3',
  '1,       2040,       2040,     1024,     4096, 0x93920429',
  '0,          2,          2,        1,   345600, 0x66d947e0',
  '0,          3,          3,        1,   345600, 0x78288801',
].join('\n');

// `ffprobe -read_intervals %+1 -show_entries packet=...:stream=index,codec_type -of json` of our
// RTSP output before the lead-in existed: the first video packet has no pts (the bug `-c copy` hit).
const PROBE = JSON.stringify({
  packets: [
    { stream_index: 1, pts_time: '0.000000', dts_time: '0.000000', duration_time: '0.021333', flags: 'K_' },
    { stream_index: 0, pts_time: 'N/A', dts_time: 'N/A', duration_time: '0.040000', flags: 'K_' },
    { stream_index: 0, pts_time: '0.080000', dts_time: 'N/A', duration_time: '0.040000', flags: '__' },
    { stream_index: 1, pts_time: '0.021333', dts_time: '0.021333', duration_time: '0.021333', flags: 'K_' },
  ],
  streams: [{ index: 0, codec_type: 'video' }, { index: 1, codec_type: 'audio' }],
});

describe('timing judge', () => {
  it('parses framecrc per stream through its #tb and #media_type headers', () => {
    const [video, audio] = parseFramecrc(FRAMECRC);
    assert.equal(video.kind, 'video');
    assert.deepEqual(video.units.map((u) => u.pts), [0, 0.08, 0.12]);
    assert.equal(audio.kind, 'audio');
    assert.equal(audio.units.length, 3);
    assert.ok(Math.abs((audio.units[1].pts ?? 0) - 1023 / 48000) < 1e-9);
    const report = judgeTiming([video, audio], { maxJumpS: 0.1 });
    assert.deepEqual(report.problems, []);
    assert.equal(report.audioMinusVideoS, 0);
  });

  it('reports a first video packet without pts, and parses N/A as missing', () => {
    const tracks = parseProbePackets(PROBE);
    assert.deepEqual(tracks.map((t) => t.kind), ['video', 'audio']);
    assert.equal(tracks[0].units[0].pts, undefined);
    assert.equal(tracks[0].units[0].keyframe, true);
    const report = judgeTiming(tracks);
    assert.match(report.problems.join('\n'), /video track 0: unit 0 has no pts/);
    // A non-keyframe before it (what a stream copy drops) is not judged.
    const led = tracks.map((t) => ({ ...t, units: [...t.units] }));
    led[0].units[0] = { ...led[0].units[0], pts: 0.04 };
    led[0].units.unshift({ keyframe: false });
    assert.deepEqual(judgeTiming(led, { maxJumpS: 0.1 }).problems, []);
  });

  it('reports decode time going backwards and a presentation-time jump (an A/V sync break)', () => {
    const audio: TrackTimeline = { kind: 'audio', units: [0, 0.021, 0.042, 0.2, 0.221].map((pts) => ({ pts, duration: 0.021 })) };
    const video: TrackTimeline = { kind: 'video', units: [{ pts: 0, dts: 0 }, { pts: 0.04, dts: 0.04 }, { pts: 0.08, dts: 0.02 }] };
    const report = judgeTiming([video, audio]);
    assert.equal(report.problems.length, 2, report.problems.join('\n'));
    assert.match(report.problems[0], /decode time goes from 0.0400 to 0.0200/);
    assert.match(report.problems[1], /audio track 1: pts jumps 158.0 ms/);
    assert.ok(Math.abs((report.largestStepS.audio ?? 0) - 0.158) < 1e-9);
  });

  it('property: framecrc written from any timelines parses back to them, and a clean timeline judges clean', () => {
    const track = fc.record({
      kind: fc.constantFrom<'video' | 'audio'>('video', 'audio'),
      den: fc.constantFrom(25, 90000, 48000),
      start: fc.integer({ min: -1000, max: 1_000_000 }),
      step: fc.integer({ min: 1, max: 4000 }),
      count: fc.integer({ min: 0, max: 40 }),
    });
    fc.assert(fc.property(fc.array(track, { minLength: 1, maxLength: 3 }), (tracks) => {
      const lines: string[] = [];
      tracks.forEach((t, i) => lines.push(`#tb ${i}: 1/${t.den}`, `#media_type ${i}: ${t.kind}`));
      for (let n = 0; n < 40; n++) {
        tracks.forEach((t, i) => {
          if (n < t.count) lines.push(`${i}, ${t.start + n * t.step}, ${t.start + n * t.step}, ${t.step}, 100, 0x0`);
        });
      }
      const parsed = parseFramecrc(lines.join('\n'));
      assert.equal(parsed.length, tracks.length);
      parsed.forEach((p, i) => {
        assert.equal(p.kind, tracks[i].kind);
        assert.equal(p.units.length, tracks[i].count);
        p.units.forEach((u, n) => assert.ok(Math.abs((u.pts ?? NaN) - (tracks[i].start + n * tracks[i].step) / tracks[i].den) < 1e-9));
      });
      assert.deepEqual(judgeTiming(parsed, { maxJumpS: 0 }).problems, []);
    }));
  });

  it('property: arbitrary text never throws from parseFramecrc', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (text) => {
      parseFramecrc(text);
      parseFramecrc(`#tb 0: 1/0\n#media_type 0: video\n${text}`);
    }));
  });
});
