import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  AacDecoder, H264Decoder, h264NalType, parseRtpPacket, seqDiff, timestampDiff,
} from '@streamgate/protocol-rtp';
import { decodedFrames, depacketizeVideo } from '../testing/decode-check';
import { makeFlvWithFfmpeg, TEST_FLV_ARGS } from '../testing/flv-file';
import { FlvInputError } from './errors';
import type { AccessUnitOut } from '../media/access-unit';
import { FlvStreamProcessor, FlvTagIn } from './flv-stream-processor';

const MTU = 1000;

function run(processor: FlvStreamProcessor, tags: readonly FlvTagIn[]): AccessUnitOut[] {
  return tags.flatMap((t) => processor.processTag(t));
}

describe('FlvStreamProcessor with an ffmpeg FLV (H.264 High, B-frames, AAC)', () => {
  let tags: FlvTagIn[] = [];
  let out: AccessUnitOut[] = [];
  let video: AccessUnitOut[] = [];
  let audio: AccessUnitOut[] = [];
  let processor: FlvStreamProcessor;
  before(() => {
    tags = makeFlvWithFfmpeg(TEST_FLV_ARGS).tags;
    let r = 1;
    processor = new FlvStreamProcessor({ maxPayloadSize: MTU, random: () => (r = (r * 1103515245 + 12345) >>> 0) });
    out = run(processor, tags);
    video = out.filter((a) => a.track === 0);
    audio = out.filter((a) => a.track === 1);
  });

  test('one access unit per video frame and per AAC frame', () => {
    const videoFrames = tags.filter((t) => t.tagType === 9 && t.data[1] === 1).length;
    const audioFrames = tags.filter((t) => t.tagType === 8 && t.data[1] === 1).length;
    assert.equal(videoFrames, 50);
    assert.equal(video.length, videoFrames);
    assert.equal(audio.length, audioFrames);
    assert.equal(processor.videoConfig?.info?.width, 320);
    assert.equal(processor.audioConfig?.parsed.sampleRate, 44100);
  });

  test('video RTP timestamps are pts × 90 (dts + composition time): B-frames reorder, steps of 3600', () => {
    const rel = video.map((a) => timestampDiff(video[0].rtpTimestamp, a.rtpTimestamp));
    assert.ok(rel.some((t, i) => i > 0 && t < rel[i - 1]), 'B-frames make pts non-monotonic in decode order');
    const sorted = [...rel].sort((a, b) => a - b);
    sorted.forEach((t, i) => assert.equal(t - sorted[0], i * 3600));
  });

  test('SPS and PPS precede the slice of every keyframe; AUD never sent', () => {
    const keyframes = video.filter((a) => a.keyframe);
    assert.equal(keyframes.length, 2);
    for (const au of video) {
      const types = (au.nalus ?? []).map(h264NalType);
      assert.ok(!types.includes(9) && !types.includes(12));
      if (types.includes(5)) {
        assert.ok(au.keyframe);
        assert.ok(types.indexOf(7) >= 0 && types.indexOf(7) < types.indexOf(8) && types.indexOf(8) < types.indexOf(5), types.join(','));
      }
    }
  });

  test('every RTP packet fits the MTU budget; sequence numbers are continuous per track', () => {
    for (const track of [video, audio]) {
      const packets = track.flatMap((a) => a.packets).map(parseRtpPacket);
      for (const p of packets) assert.ok(p.payload.byteLength <= MTU);
      for (let i = 1; i < packets.length; i++) assert.equal(seqDiff(packets[i - 1].header.sequenceNumber, packets[i].header.sequenceNumber), 1);
      assert.equal(new Set(packets.map((p) => p.header.ssrc)).size, 1);
    }
    assert.ok(video.some((a) => a.packets.length > 1), 'keyframes are fragmented (FU-A)');
  });

  test('round trip through H264Decoder gives back the same NAL units', () => {
    const decoder = new H264Decoder();
    const decoded = video.flatMap((a) => a.packets.map(parseRtpPacket)).flatMap((p) => {
      const r = decoder.decode(p);
      return r.kind === 'complete' ? r.units : [];
    });
    assert.equal(decoded.length, video.length);
    decoded.forEach((au, i) => {
      assert.equal(au.timestamp, video[i].rtpTimestamp);
      assert.deepEqual(au.nalus, video[i].nalus);
    });
  });

  test('AAC: one AU per frame, RTP timestamps step exactly 1024', () => {
    const decoder = new AacDecoder();
    const aus = audio.flatMap((a) => a.packets.map(parseRtpPacket)).flatMap((p) => {
      const r = decoder.decode(p);
      return r.kind === 'complete' ? r.units : [];
    });
    assert.equal(aus.length, audio.length);
    for (let i = 1; i < audio.length; i++) assert.equal(timestampDiff(audio[i - 1].rtpTimestamp, audio[i].rtpTimestamp), 1024);
  });

  test('depacketized Annex B decodes without errors in ffmpeg, with every frame counted by ffprobe', () => {
    const aus = depacketizeVideo(video.flatMap((a) => a.packets), 'h264');
    assert.equal(decodedFrames(aus, 'h264'), 50);
  });

  test('re-publish (reset): same SSRC, sequence continues, timestamps move forward', () => {
    const lastVideo = parseRtpPacket(video[video.length - 1].packets[video[video.length - 1].packets.length - 1]);
    processor.reset();
    assert.equal(processor.videoConfig, undefined);
    const again = run(processor, tags).filter((a) => a.track === 0);
    const first = parseRtpPacket(again[0].packets[0]);
    assert.equal(first.header.ssrc, lastVideo.header.ssrc);
    assert.equal(seqDiff(lastVideo.header.sequenceNumber, first.header.sequenceNumber), 1);
    assert.ok(timestampDiff(lastVideo.header.timestamp, first.header.timestamp) > 0);
  });

  test('malformed input is a FlvInputError, and the processor keeps working', () => {
    const p = new FlvStreamProcessor();
    const config = tags.find((t) => t.tagType === 9 && t.data[1] === 0);
    const frame = tags.find((t) => t.tagType === 9 && t.data[1] === 1);
    assert.ok(config && frame);
    assert.throws(() => p.processTag({ ...config, data: config.data.subarray(0, 9) }), FlvInputError);
    p.processTag(config);
    assert.throws(() => p.processTag({ ...frame, data: frame.data.subarray(0, frame.data.byteLength - 3) }), FlvInputError);
    assert.throws(() => p.processTag({ tagType: 9, timestamp: 0, data: new Uint8Array([0x12, 0]) }), FlvInputError);
    assert.equal(p.processTag(frame).length, 1);
  });
});

describe('FlvStreamProcessor audio clock', () => {
  test('FLV ms rounding (23/23/24 ms at 44.1 kHz) never makes RTP timestamps jitter', () => {
    const p = new FlvStreamProcessor({ random: () => 0 });
    p.processTag({ tagType: 8, timestamp: 0, data: new Uint8Array([0xaf, 0, 0x12, 0x10]) });
    const ts: number[] = [];
    for (let i = 0; i < 500; i++) {
      const ms = Math.round((i * 1024 * 1000) / 44100);
      ts.push(...p.processTag({ tagType: 8, timestamp: ms, data: new Uint8Array([0xaf, 1, 0x21, 0x10, 0x04]) }).map((a) => a.rtpTimestamp));
    }
    ts.forEach((t, i) => assert.equal(t, i * 1024));
  });
});
