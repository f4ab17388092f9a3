import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AacDecoder, parseRtpPacket, seqDiff, timestampDiff } from '@streamgate/protocol-rtp';
import { h264NalType, h265NalType } from '@streamgate/codec';
import { aacSdp, allPackets, cameraSdp, decodedFrames, depacketize, depacketizeVideo, feed, H264_SDP, H265_SDP, ingestFor, loadRtpFixture, loadSdpFixture, TEST_MTU, testProcessor, VideoFormat } from '@streamgate/packetizer/testing';
import type { AccessUnitOut } from '../media/access-unit';
import { SourcePipeline } from './source-pipeline';

const inputTimestamps = (packets: readonly Uint8Array[]): number[] => {
  const ts: number[] = [];
  for (const p of packets.map(parseRtpPacket)) if (p.header.marker) ts.push(p.header.timestamp);
  return ts;
};
const relative = (ts: readonly number[]): number[] => ts.map((t) => timestampDiff(ts[0], t));

function assertCleanRtp(units: readonly AccessUnitOut[]): void {
  const packets = allPackets(units).map(parseRtpPacket);
  assert.ok(packets.every((p) => p.payload.byteLength <= TEST_MTU), 'every payload fits the budget');
  assert.equal(new Set(packets.map((p) => p.header.ssrc)).size, 1, 'one SSRC');
  for (let i = 1; i < packets.length; i++) assert.equal(seqDiff(packets[i - 1].header.sequenceNumber, packets[i].header.sequenceNumber), 1);
  for (const u of units) {
    const ps = u.packets.map(parseRtpPacket);
    assert.ok(ps.every((p) => p.header.timestamp === u.rtpTimestamp));
    assert.ok(ps[ps.length - 1].header.marker);
  }
}

const videoCases: Array<{ name: string; fixture: string; sdp: typeof H264_SDP; format: VideoFormat; units: number; first: number[]; width?: number }> = [
  { name: 'ffmpeg libx264 -bf 2 (STAP-A, FU-A)', fixture: 'h264-ffmpeg-fua.json', sdp: H264_SDP, format: 'h264', units: 6, first: [7, 8, 6, 5] },
  { name: 'GStreamer rtph264pay STAP-A, sequence wrap', fixture: 'h264-gst-stapa.json', sdp: H264_SDP, format: 'h264', units: 4, first: [6, 7, 8, 5] },
  {
    name: 'GStreamer rtph264pay config-interval=-1 repeating SPS/PPS before every slice of a two-slice IDR (sent once, else decoders split the picture)',
    fixture: 'h264-gst-multislice.json', sdp: H264_SDP, format: 'h264', units: 3, first: [7, 8, 6, 5, 5], width: 320,
  },
  { name: 'ffmpeg libx265 bframes=2 (AP, FU, CRA)', fixture: 'h265-ffmpeg-fu.json', sdp: H265_SDP, format: 'hevc', units: 6, first: [32, 33, 34, 39, 20] },
  { name: 'GStreamer rtph265pay AP', fixture: 'h265-gst-ap.json', sdp: H265_SDP, format: 'hevc', units: 4, first: [32, 33, 34, 20] },
];

describe('SourcePipeline with captured camera packets', () => {
  for (const c of videoCases) {
    test(`${c.name}: one AU per frame, clean RTP, decodes with ffmpeg -xerror`, () => {
      const input = loadRtpFixture(c.fixture);
      const p = testProcessor(SourcePipeline, cameraSdp([c.sdp]));
      assert.equal(p.ready, false, 'no parameter sets in the SDP yet');
      const units = feed(p, 0, input);
      assert.equal(units.length, c.units);
      assert.ok(units[0].keyframe);
      const type = c.format === 'h264' ? h264NalType : h265NalType;
      assert.deepEqual(units[0].nalus?.map(type), c.first);
      assert.ok(p.ready);
      assert.equal(p.videoConfig?.info?.width, c.width ?? 160);
      assert.deepEqual(relative(units.map((u) => u.rtpTimestamp)), relative(inputTimestamps(input)));
      assertCleanRtp(units);
      const aus = depacketizeVideo(allPackets(units), c.format);
      assert.equal(aus.length, c.units);
      assert.equal(decodedFrames(aus, c.format), c.units);
      assert.equal(ingestFor(p).packetsLost, 0);
      assert.equal(p.malformedPackets, 0);
    });
  }

  const audioCases = [
    { fixture: 'aac-ffmpeg-aggregated.json', rate: 44100, channels: 1, config: '1208' },
    { fixture: 'aac-ffmpeg-fragmented.json', rate: 48000, channels: 2, config: '1190' },
    { fixture: 'aac-gst-mp4gpay.json', rate: 48000, channels: 2, config: '1190' },
  ];
  for (const c of audioCases) {
    test(`${c.fixture}: one AU per AAC frame, same frames and spacing, AAC-hbr out`, () => {
      const input = loadRtpFixture(c.fixture);
      const frames = depacketize(new AacDecoder(), input);
      const p = testProcessor(SourcePipeline, cameraSdp([aacSdp(c.rate, c.channels, c.config)]));
      assert.ok(p.ready, 'AAC config comes from the SDP');
      const units = feed(p, 0, input);
      assert.equal(units.length, frames.length);
      assert.ok(units.every((u) => u.track === 1 && !u.keyframe));
      assert.deepEqual(relative(units.map((u) => u.rtpTimestamp)), relative(frames.map((f) => f.timestamp)));
      assertCleanRtp(units);
      const data = depacketize(new AacDecoder(), allPackets(units)).map((u) => u.data);
      assert.deepEqual(data, frames.map((f) => f.data));
    });
  }

  test('GStreamer camera SDP: ready before any packet (sprop-parameter-sets); they go in front of an IDR that lacks them', () => {
    const p = testProcessor(SourcePipeline, loadSdpFixture('gst-rtsp-server.sdp'));
    assert.ok(p.ready);
    assert.equal(p.videoConfig?.info?.profile, 'High');
    assert.equal(p.audioConfig?.clockRate, 44100);
    // The ffmpeg capture without its first packet (the STAP-A with SPS and PPS).
    const units = feed(p, 0, loadRtpFixture('h264-ffmpeg-fua.json').slice(1));
    assert.deepEqual(units[0].nalus?.map(h264NalType), [7, 8, 6, 5]);
    assert.equal(decodedFrames(depacketizeVideo(allPackets(units), 'h264'), 'h264'), 6);
  });

  test('no parameter sets in the SDP: nothing is published until they arrive in-band with a keyframe', () => {
    const input = loadRtpFixture('h264-ffmpeg-fua.json');
    const firstTs = parseRtpPacket(input[0]).header.timestamp;
    const p = testProcessor(SourcePipeline, cameraSdp([H264_SDP]));
    const units = feed(p, 0, input.filter((b) => parseRtpPacket(b).header.timestamp !== firstTs));
    assert.equal(units.length, 1);
    assert.ok(units[0].keyframe);
    assert.deepEqual(units[0].nalus?.map(h264NalType), [7, 8, 5]);
  });

  test('unsupported media (PCMA, metadata) are listed and their packets ignored', () => {
    const p = testProcessor(SourcePipeline, loadSdpFixture('dahua-style.sdp'));
    assert.deepEqual(p.unsupportedTracks.map((t) => [t.index, t.media, t.codec]), [[1, 'audio', 'PCMA']]);
    assert.ok(p.ready, 'sprop-parameter-sets in the SDP');
    assert.deepEqual(p.processBatch({ track: 1, rtcp: false, newSource: true, receivedAt: 0, packets: [new Uint8Array(20)] }), []);
    assert.deepEqual(p.processBatch({ track: 0, rtcp: true, newSource: false, receivedAt: 0, packets: [new Uint8Array(28)] }), []);
    assert.equal(p.ignoredPackets, 1);
    assert.equal(p.rtcpPackets, 1);
  });
});
