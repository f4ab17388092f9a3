import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { parseRtpPacket, timestampDiff } from '@streamgate/protocol-rtp';
import type { AccessUnit } from '@streamgate/media';
import { FlvUnits, makeFlvWithFfmpeg, readFlvUnits, TEST_FLV_ARGS } from '@streamgate/packetizer/testing';
import type { AccessUnitOut } from './media/access-unit';
import { OutputHandover, parseOutputHandover, sequenceAfterHandover } from './output-identity';
import { StreamState } from './stream-state';

/** A stream's state as a packetizer instance creates it on taking the stream (leased mode). */
function packetizerState(stream: string, read: FlvUnits, handover?: OutputHandover, now = 0): StreamState {
  const st = new StreamState(stream, { maxPayloadSize: 1400, gop: { maxUnits: 2000, maxBytes: 32 << 20 }, now, handover });
  st.pipeline.configureFormats({ control: undefined, tracks: read.tracks.map((t) => ({ ...t, control: undefined })), unsupported: [] });
  return st;
}

/** Arrival (Unix ms) of a live unit: its media time after the publish started at T0, as ingest stamps it. */
const T0 = 1_764_000_000_000;
const arrival = (u: AccessUnit, read: FlvUnits): number => T0 + (u.timestamp * 1000) / read.tracks[u.track].format.clockRate;

const feed = (st: StreamState, read: FlvUnits, from: number): Array<{ index: number; out: AccessUnitOut }> =>
  read.units.slice(from).flatMap((u, i) => st.pipeline.processUnit(u, arrival(u, read)).map((out) => ({ index: from + i, out })));

describe('output identity: a packetizer taking a stream over continues its SSRCs and timeline', () => {
  let read: FlvUnits;
  before(() => {
    read = readFlvUnits(makeFlvWithFfmpeg(TEST_FLV_ARGS).tags);
  });

  test('the replacement sends the same SSRCs, and puts each live unit within 1 ms of where the first put it', () => {
    const first = feed(packetizerState('cam1', read), read, 0);
    // The replacement joins mid-stream (the second GOP), as after a kill -9 of the owner.
    const join = read.units.findIndex((u, i) => i > 0 && u.track === 0 && u.keyframe);
    assert.ok(join > 0);
    const second = feed(packetizerState('cam1', read), read, join);
    for (const track of [0, 1] as const) {
      const a = first.filter((x) => x.out.track === track);
      const b = second.filter((x) => x.out.track === track);
      assert.ok(b.length > 10, `track ${track}: the replacement sends`);
      const ssrcs = new Set([...a, ...b].flatMap((x) => x.out.packets.map((p) => parseRtpPacket(p).header.ssrc)));
      assert.equal(ssrcs.size, 1, `track ${track}: one SSRC across both packetizers`);
      const tick = read.tracks[track].format.clockRate / 1000;
      for (const x of b) {
        const same = a.find((y) => y.index === x.index);
        assert.ok(same, `unit ${x.index} sent by both`);
        const off = Math.abs(timestampDiff(same.out.rtpTimestamp, x.out.rtpTimestamp));
        assert.ok(off <= tick, `track ${track} unit ${x.index}: ${off} ticks off the first packetizer's timeline`);
      }
    }
  });

  test('streams differ: their SSRCs differ, video from audio too', () => {
    const a = packetizerState('cam1', read).pipeline;
    const b = packetizerState('cam2', read).pipeline;
    assert.notEqual(a.videoSequencer.ssrc, b.videoSequencer.ssrc);
    assert.notEqual(a.videoSequencer.ssrc, a.audioSequencer.ssrc);
  });

  test('with the previous owner\'s handover, the replacement continues its timeline and sequence numbers after a source stall', () => {
    // The publisher stalled 5 s (a starved encoder) before the unit at 0.2 s and went on with
    // its own timestamps: the output timeline is now 5 s behind the arrival clock, so a
    // timeline derived from the arrival clock alone would put the replacement 5 s ahead.
    const video = read.tracks[0].format.clockRate;
    // (Past the first units of both tracks, so both timelines started before it.)
    const stallAt = read.units.findIndex((u, i) => i > 10 && u.track === 0 && u.timestamp >= video / 5);
    const at = (i: number): number => arrival(read.units[i], read) + (i >= stallAt ? 5000 : 0);
    /** As PacketizerService.publishUnits: each unit through its track's output timeline. */
    const publish = (st: StreamState, from: number, to: number): Array<{ index: number; ts: number; seqs: number[]; track: number }> =>
      read.units.slice(from, to).flatMap((u, k) => st.pipeline.processUnit(u, at(from + k)).map((out) => ({
        index: from + k, track: out.track, seqs: out.packets.map((p) => parseRtpPacket(p).header.sequenceNumber),
        ts: st.timeline(out.track, read.tracks[out.track].format.clockRate).map(out.rtpTimestamp, at(from + k)),
      })));
    const reference = publish(packetizerState('cam1', read), 0, read.units.length);
    const recordAt = read.units.findIndex((u) => u.track === 0 && u.timestamp >= (video * 4) / 10);
    // It dies at 0.5 s; the next owner's first unit is the keyframe at 1 s (a real takeover
    // waits out a lease: seconds, far more than the rebase margin).
    const death = read.units.findIndex((u) => u.track === 0 && u.timestamp >= video / 2);
    const resume = read.units.findIndex((u, i) => i > death && u.track === 0 && u.keyframe);
    assert.ok(stallAt > 0 && recordAt > stallAt && death > recordAt && resume > death);
    const owner = packetizerState('cam1', read);
    const sent = publish(owner, 0, recordAt);
    // Its last handover, written a while before it died (status period), through the store.
    const stored = parseOutputHandover(JSON.stringify(owner.handover(at(recordAt - 1))));
    assert.ok(stored?.tracks[0] && stored.tracks[1], 'both tracks handed over');
    sent.push(...publish(owner, recordAt, death));
    const takeoverAt = at(resume) - 200;
    const replacement = publish(packetizerState('cam1', read, stored, takeoverAt), resume, read.units.length);
    const derived = publish(packetizerState('cam1', read), resume, read.units.length);
    for (const track of [0, 1] as const) {
      const clock = read.tracks[track].format.clockRate;
      const mine = replacement.filter((x) => x.track === track);
      const before = sent.filter((x) => x.track === track);
      assert.ok(mine.length > 5 && before.length > 5, `track ${track}: both owners sent`);
      const lastSeq = before[before.length - 1].seqs.at(-1) ?? NaN;
      const step = (mine[0].seqs[0] - lastSeq) & 0xffff;
      assert.ok(step >= 1 && step < 0x4000, `track ${track}: sequence numbers go on forward (step ${step})`);
      const same = reference.find((y) => y.index === mine[0].index && y.track === track);
      assert.ok(same);
      const msOff = (ts: number): number => timestampDiff(same.ts, ts) / (clock / 1000);
      // Placed at its arrival on the handed-over timeline less the rebase margin (TimelineContinuity).
      assert.ok(Math.abs(msOff(mine[0].ts) + 250) <= 100, `track ${track}: ${msOff(mine[0].ts)} ms off the timeline the first owner would have sent`);
      const newest = Math.max(...before.map((x) => timestampDiff(before[0].ts, x.ts)));
      assert.ok(timestampDiff(before[0].ts, mine[0].ts) > newest, `track ${track}: after everything the first owner sent`);
      const d = derived.find((y) => y.track === track);
      assert.ok(Math.abs(timestampDiff(same.ts, d?.ts ?? NaN) / (clock / 1000)) > 4000, 'without the handover it lands seconds off (what this guards)');
    }
  });
});

test('sequenceAfterHandover: past the packets sent since the record, never a step that reads as backward', () => {
  const t = { clockRate: 90000, rtpTimestamp: 0, atMs: 10_000, newest: 0, nextSequence: 65_500, packetsPerSecond: 400 };
  assert.equal(sequenceAfterHandover(t, 10_000), (65_500 + 64) & 0xffff);
  assert.equal(sequenceAfterHandover(t, 12_000), (65_500 + 1000 + 64) & 0xffff, '2 s at 400/s, a quarter to spare');
  assert.equal(sequenceAfterHandover({ ...t, packetsPerSecond: 100_000 }, 70_000), (65_500 + 0x3fff) & 0xffff, 'capped at a quarter of the space');
  assert.equal(sequenceAfterHandover(t, 9_000), (65_500 + 64) & 0xffff, 'a clock behind the record counts as no time');
});

test('parseOutputHandover: a missing, malformed or out-of-range record is no handover', () => {
  assert.equal(parseOutputHandover(undefined), undefined);
  assert.equal(parseOutputHandover('{'), undefined);
  assert.equal(parseOutputHandover('{"tracks":{"0":{"clockRate":90000,"rtpTimestamp":-1,"atMs":0,"newest":0,"nextSequence":0,"packetsPerSecond":0}}}'), undefined);
  assert.equal(parseOutputHandover('{"tracks":{"0":{"clockRate":90000,"rtpTimestamp":1,"atMs":0,"newest":0,"nextSequence":70000,"packetsPerSecond":0}}}'), undefined);
  assert.deepEqual(parseOutputHandover('{"tracks":{}}'), { tracks: {} });
});
