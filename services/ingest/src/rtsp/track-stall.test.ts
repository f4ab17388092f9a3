import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { findStall, WatchedTrack } from './track-stall';

const T = 10_000;
const PLAY = 1_000_000;
const video = (lastPacketAt: number | undefined): WatchedTrack => ({ index: 0, media: 'video', lastPacketAt });
const audio = (lastPacketAt: number | undefined): WatchedTrack => ({ index: 1, media: 'audio', lastPacketAt });

describe('findStall (per-track stall watchdog)', () => {
  // [case, tracks, now, tracks that ever delivered, expected track, expected message]
  const table: Array<[string, WatchedTrack[], number, number[], number | undefined | null, RegExp | null]> = [
    ['both flowing', [video(PLAY + 20_000), audio(PLAY + 20_010)], PLAY + 20_100, [0, 1], null, null],
    ['nothing since PLAY, within the timeout', [video(undefined), audio(undefined)], PLAY + T, [], null, null],
    ['nothing since PLAY, past the timeout', [video(undefined), audio(undefined)], PLAY + T + 1, [], undefined, /^no media for 10 s \(RTSP_TIMEOUT\)$/],
    ['everything stopped', [video(PLAY + 5000), audio(PLAY + 5000)], PLAY + 5000 + T + 1, [0, 1], undefined, /^no media for 10 s/],
    ['video stops, audio flows', [video(PLAY + 5000), audio(PLAY + 15_000)], PLAY + 15_001, [0, 1], 0,
      /^video stalled: no RTP on track 0 for 10 s while audio flows \(RTSP_TIMEOUT\)$/],
    ['video stops at exactly the timeout: not yet', [video(PLAY + 5000), audio(PLAY + 15_000)], PLAY + 15_000, [0, 1], null, null],
    ['audio stops, video flows', [video(PLAY + 15_000), audio(PLAY + 4000)], PLAY + 15_000, [0, 1], 1, /^audio stalled: no RTP on track 1 for 11 s while video flows/],
    ['a listed track that never sent anything is not watched', [video(PLAY + 15_000), audio(undefined)], PLAY + 15_000, [0], null, null],
    ['a track that sent before a reconnect but not since PLAY is watched', [video(undefined), audio(PLAY + 11_000)], PLAY + T + 1, [0, 1], 0,
      /^video stalled: no RTP on track 0 for 10 s while audio flows/],
  ];
  for (const [name, tracks, now, ever, track, message] of table) {
    it(name, () => {
      const stall = findStall(tracks, PLAY, now, T, new Set(ever));
      if (track === null) {
        assert.equal(stall, undefined);
        return;
      }
      assert.ok(stall, 'a stall');
      assert.equal(stall.track, track);
      assert.match(stall.message, message ?? /./);
    });
  }
});
