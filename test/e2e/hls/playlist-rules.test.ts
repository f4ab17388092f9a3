import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HlsSegmenter, renderMediaPlaylist, segmentNames } from '@streamgate/protocol-hls';
import { ParsedMediaPlaylist, checkPlaylist, checkReloads } from './playlist-rules';

/**
 * The playlist validator itself: each rule catches the playlist that breaks it (so the e2e tests
 * that rely on it fail when the server does), and the segmenter's real output passes every rule
 * across reloads, with a GOP that grows mid-stream and a parameter-set change.
 */

const HEAD = ['#EXTM3U', '#EXT-X-VERSION:9', '#EXT-X-TARGETDURATION:1'];
const seg = (msn: number, duration = '1.00000'): string[] => [`#EXTINF:${duration},`, `a_seg${msn}.mp4`];
const media = (lines: string[]): ParsedMediaPlaylist => {
  const parsed = checkPlaylist(lines.join('\n') + '\n').media;
  assert.ok(parsed);
  return parsed;
};

describe('HLS playlist rules (RFC 8216 MUSTs)', () => {
  const broken: Array<{ rule: string; why: string; lines: string[] }> = [
    { rule: 'S2', why: 'a segment longer than the target', lines: [...HEAD, '#EXT-X-MAP:URI="a_init0.mp4"', ...seg(0), ...seg(1, '1.60000')] },
    { rule: 'S1', why: 'two target durations', lines: [...HEAD, '#EXT-X-TARGETDURATION:2', ...seg(0)] },
    { rule: 'S8', why: 'DISCONTINUITY-SEQUENCE after a segment', lines: [...HEAD, ...seg(0), '#EXT-X-DISCONTINUITY-SEQUENCE:1', ...seg(1)] },
    { rule: 'S8', why: 'DISCONTINUITY-SEQUENCE twice', lines: [...HEAD, '#EXT-X-DISCONTINUITY-SEQUENCE:1', '#EXT-X-DISCONTINUITY-SEQUENCE:2', ...seg(0)] },
    {
      rule: 'S9', why: 'a new init without a discontinuity',
      lines: [...HEAD, '#EXT-X-MAP:URI="a_init0.mp4"', ...seg(0), '#EXT-X-MAP:URI="a_init1.mp4"', ...seg(1)],
    },
  ];
  for (const b of broken) {
    test(`${b.rule}: ${b.why}`, () => {
      const rules = checkPlaylist(b.lines.join('\n') + '\n').violations.map((v) => v.rule);
      assert.ok(rules.includes(b.rule), `${b.rule} expected, got ${JSON.stringify(rules)}`);
    });
  }

  test('a new init with a discontinuity is valid', () => {
    const lines = [...HEAD, '#EXT-X-MAP:URI="a_init0.mp4"', ...seg(0), '#EXT-X-DISCONTINUITY', '#EXT-X-MAP:URI="a_init1.mp4"', ...seg(1)];
    assert.deepEqual(checkPlaylist(lines.join('\n') + '\n').violations, []);
  });

  test('R1: the target duration changes between reloads', () => {
    const a = media([...HEAD, ...seg(0)]);
    const b = media(['#EXTM3U', '#EXT-X-VERSION:9', '#EXT-X-TARGETDURATION:4', ...seg(0), ...seg(1, '3.60000')]);
    assert.deepEqual(checkReloads([a, b]).map((v) => v.rule), ['R1']);
  });

  test('R3: a discontinuity scrolls out without EXT-X-DISCONTINUITY-SEQUENCE counting it', () => {
    const a = media([...HEAD, ...seg(0), '#EXT-X-DISCONTINUITY', ...seg(1), ...seg(2)]);
    const wrong = media([...HEAD, '#EXT-X-MEDIA-SEQUENCE:2', ...seg(2)]);
    assert.deepEqual(checkReloads([a, wrong]).map((v) => v.rule), ['R3']);
    const right = media([...HEAD, '#EXT-X-MEDIA-SEQUENCE:2', '#EXT-X-DISCONTINUITY-SEQUENCE:1', ...seg(2)]);
    assert.deepEqual(checkReloads([a, right]), []);
  });

  test('the segmenter across reloads: GOPs of 1, 1 and 4 s with 1 s segments, and new parameter sets at 7.4 s — every playlist and reload valid', () => {
    const FRAME = 3600;
    const s = new HlsSegmenter({ video: { id: 1, timescale: 90000 }, audio: { id: 2, timescale: 48000 }, segmentDurationS: 1, partDurationS: 0.2, segmentCount: 5 });
    const names = segmentNames('abcd0123');
    const playlists: ParsedMediaPlaylist[] = [];
    let a = 0;
    for (let i = 0; i < 25 * 24; i++) {
      const keyframe = i % 150 === 0 || i % 150 === 25 || i % 150 === 50 || i === 185;
      s.pushVideo({ dts: i * FRAME, pts: i * FRAME, keyframe, chunks: [Uint8Array.of(0x65)], nalUnits: true, wallClockMs: 1_700_000_000_000 + i * 40, initVersion: i >= 185 ? 1 : 0 });
      for (; (a * 1024) / 48000 <= i / 25; a++) s.pushAudio({ dts: a * 1024, pts: a * 1024, keyframe: true, chunks: [Uint8Array.of(0x21)], nalUnits: false, wallClockMs: 0 });
      if (s.segmentsProduced === 0 || i % 5 !== 0) continue;
      const text = renderMediaPlaylist(s, { names, lowLatency: true });
      const { violations, media: parsed } = checkPlaylist(text);
      assert.deepEqual(violations, [], text);
      assert.ok(parsed);
      playlists.push(parsed);
    }
    assert.deepEqual(checkReloads(playlists), []);
    assert.ok(playlists.some((p) => p.segments.some((x) => x.map === 'abcd0123_init1.mp4')), 'the new init was listed');
    assert.ok(playlists.at(-1)?.discontinuitySequence === 1, 'the discontinuity scrolled out and was counted');
    assert.ok(s.forcedCuts > 0, 'the 4 s GOPs were cut without keyframes');
  });
});
