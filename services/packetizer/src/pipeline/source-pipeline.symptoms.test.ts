import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseRtpPacket, seqAdd, seqDiff, serializeRtpPacket, timestampDiff, wrapTimestamp } from '@streamgate/protocol-rtp';
import { h264NalType } from '@streamgate/codec';
import { aacSdp, allPackets, cameraSdp, decodedFrames, depacketizeVideo, feed, H264_SDP, ingestFor, loadRtpFixture, rewrite, testProcessor } from '@streamgate/packetizer/testing';
import type { AccessUnitOut } from '../media/access-unit';
import { SourcePipeline } from './source-pipeline';

const H264 = loadRtpFixture('h264-ffmpeg-fua.json');
const AAC = loadRtpFixture('aac-gst-mp4gpay.json');
const SDP = cameraSdp([H264_SDP]);
const naluTypes = (units: readonly AccessUnitOut[]): string[] => units.map((u) => (u.nalus ?? []).map(h264NalType).join(','));
const clean = (): AccessUnitOut[] => feed(testProcessor(SourcePipeline, SDP), 0, H264);
const outSeqs = (units: readonly AccessUnitOut[]): number[] => allPackets(units).map((b) => parseRtpPacket(b).header.sequenceNumber);
const assertContinuous = (units: readonly AccessUnitOut[]): void => {
  const s = outSeqs(units);
  for (let i = 1; i < s.length; i++) assert.equal(seqDiff(s[i - 1], s[i]), 1, `sequence at ${i}`);
  assert.equal(new Set(allPackets(units).map((b) => parseRtpPacket(b).header.ssrc)).size, 1);
};

describe('SourcePipeline: camera symptoms', () => {
  test('reordered packets (neighbours swapped) give the same access units as in order', () => {
    const swapped = [...H264];
    for (let i = 2; i + 1 < swapped.length; i += 4) [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
    const p = testProcessor(SourcePipeline, SDP);
    const units = feed(p, 0, swapped);
    assert.deepEqual(naluTypes(units), naluTypes(clean()));
    assert.equal(ingestFor(p).packetsLost, 0);
  });

  test('duplicated packets do not duplicate access units', () => {
    const p = testProcessor(SourcePipeline, SDP);
    const units = feed(p, 0, H264.flatMap((b, i) => (i % 3 === 0 ? [b, b] : [b])));
    assert.deepEqual(naluTypes(units), naluTypes(clean()));
    assert.equal(ingestFor(p).packetsLost, 0);
  });

  test('a lost FU-A fragment drops only its frame, is counted lost, and the rest still decodes', () => {
    const isFuMiddle = (b: Uint8Array): boolean => {
      const pl = parseRtpPacket(b).payload;
      return (pl[0] & 0x1f) === 28 && (pl[1] & 0xc0) === 0 && (pl[1] & 0x1f) === 1;
    };
    const lost = H264.findIndex(isFuMiddle);
    assert.ok(lost > 0, 'the capture has a P-frame cut into FU-A fragments');
    const p = testProcessor(SourcePipeline, SDP);
    const units = feed(p, 0, H264.filter((_, i) => i !== lost), { stepMs: 20 });
    assert.equal(units.length, 5);
    assert.equal(ingestFor(p).packetsLost, 1);
    assertContinuous(units);
  });

  test('sequence numbers wrapping 65535 → 0 mid-stream change nothing', () => {
    const first = parseRtpPacket(H264[0]).header.sequenceNumber;
    const wrapped = H264.map((b) => rewrite(b, (h) => ({ sequenceNumber: seqAdd(h.sequenceNumber, 65530 - first) })));
    assert.deepEqual(naluTypes(feed(testProcessor(SourcePipeline, SDP), 0, wrapped)), naluTypes(clean()));
  });

  test('SSRC change (camera restart): our SSRC and sequence continue, timestamps one frame on, new source starts at a keyframe', () => {
    const p = testProcessor(SourcePipeline, SDP);
    const before = feed(p, 0, H264);
    // The restarted camera: new SSRC, sequence and timestamp base; starts mid-GOP (first AU lost).
    const firstTs = parseRtpPacket(H264[0]).header.timestamp;
    const restarted = H264.filter((b) => parseRtpPacket(b).header.timestamp !== firstTs)
      .map((b) => rewrite(b, (h) => ({ ssrc: 0xcafe, sequenceNumber: seqAdd(h.sequenceNumber, 20000), timestamp: wrapTimestamp(h.timestamp + 0x70000000) })));
    const after = feed(p, 0, restarted, { startMs: 1150, stepMs: 0 });
    assert.deepEqual(naluTypes(after), ['7,8,5'], 'P-frames of the new source before its keyframe are not sent');
    const all = [...before, ...after];
    assertContinuous(all);
    const maxBefore = Math.max(...before.map((u) => timestampDiff(before[0].rtpTimestamp, u.rtpTimestamp)));
    assert.equal(timestampDiff(before[0].rtpTimestamp, after[0].rtpTimestamp), maxBefore + 3600);
    assert.equal(decodedFrames(depacketizeVideo(allPackets(all), 'h264'), 'h264'), 7);
  });

  test('sequence reset on the same SSRC re-syncs instead of dropping everything as late', () => {
    const p = testProcessor(SourcePipeline, SDP);
    feed(p, 0, H264);
    const reset = H264.map((b, i) => rewrite(b, (h) => ({ sequenceNumber: 10 + i, timestamp: wrapTimestamp(h.timestamp + 900_000) })));
    assert.deepEqual(naluTypes(feed(p, 0, reset, { startMs: 1200 })), naluTypes(clean()));
  });

  test('timestamp jump on the same SSRC: output continues one frame after the highest so far', () => {
    const jumpAt = parseRtpPacket(H264[H264.length - 1]).header.timestamp;
    const jumped = H264.map((b) => rewrite(b, (h) => (h.timestamp === jumpAt ? { timestamp: wrapTimestamp(h.timestamp - 0x40000000) } : {})));
    const units = feed(testProcessor(SourcePipeline, SDP), 0, jumped);
    const rel = units.map((u) => timestampDiff(units[0].rtpTimestamp, u.rtpTimestamp));
    assert.deepEqual(rel, [0, 3 * 3600, 3600, 2 * 3600, 4 * 3600, 5 * 3600]);
  });

  test('a video timestamp jump re-anchors audio too, from arrival time; audio never goes backwards', () => {
    const p = testProcessor(SourcePipeline, cameraSdp([H264_SDP, aacSdp(48000, 2, '1190')]));
    const audio: AccessUnitOut[] = [];
    audio.push(...feed(p, 1, AAC.slice(0, 4), { startMs: 1000, stepMs: 21 }));
    feed(p, 0, H264.slice(0, 10), { startMs: 1000 });
    const jumped = H264.slice(10).map((b) => rewrite(b, (h) => ({ timestamp: wrapTimestamp(h.timestamp + 0x50000000) })));
    feed(p, 0, jumped, { startMs: 1100 });
    // The camera's audio clock did not jump, yet audio continues from where it was, by wall time.
    audio.push(...feed(p, 1, AAC.slice(4), { startMs: 1084, stepMs: 21 }));
    const steps = audio.slice(1).map((u, i) => timestampDiff(audio[i].rtpTimestamp, u.rtpTimestamp));
    assert.ok(steps.every((d) => d > 0 && d <= 2 * 1024), steps.join(','));
  });

  test('a packet with another payload type or an empty payload (keepalive) is ignored', () => {
    const p = testProcessor(SourcePipeline, SDP);
    const first = parseRtpPacket(H264[0]);
    const otherType = rewrite(H264[0], (h) => ({ payloadType: 72, sequenceNumber: seqAdd(h.sequenceNumber, -2) }));
    const empty = serializeRtpPacket({ header: { ...first.header, sequenceNumber: seqAdd(first.header.sequenceNumber, -1) }, payload: new Uint8Array(0) });
    const units = feed(p, 0, [otherType, empty, ...H264]);
    assert.deepEqual(naluTypes(units), naluTypes(clean()));
    assert.equal(p.malformedPackets, 0);
  });
});
