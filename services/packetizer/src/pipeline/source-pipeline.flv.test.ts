import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { AacDecoder, H264Decoder, parseRtpPacket, seqDiff, timestampDiff } from '@streamgate/protocol-rtp';
import { h264NalType } from '@streamgate/codec';
import { FlvReader } from '@streamgate/media';
import { decodedFrames, depacketize, depacketizeVideo, FlvTagIn, FlvUnits, makeFlvWithFfmpeg, readFlvUnits, TEST_FLV_ARGS } from '@streamgate/packetizer/testing';
import type { AccessUnitOut } from '../media/access-unit';
import { SourcePipeline } from './source-pipeline';

const MTU = 1000;

/** The pipeline configured as the packetizer configures it from an RTMP source-started. */
function pipelineFor(read: Pick<FlvUnits, 'tracks'>, options: ConstructorParameters<typeof SourcePipeline>[0] = {}): SourcePipeline {
  const p = new SourcePipeline({ maxPayloadSize: MTU, ...options });
  p.configureFormats({ control: undefined, tracks: read.tracks.map((t) => ({ ...t, control: undefined })), unsupported: [] });
  return p;
}

const run = (p: SourcePipeline, read: FlvUnits): AccessUnitOut[] => read.units.flatMap((u) => p.processUnit(u, 1000));

describe('SourcePipeline with the codec units of an ffmpeg FLV (H.264 High, B-frames, AAC), as ingest reads an RTMP publish', () => {
  let tags: FlvTagIn[] = [];
  let read: FlvUnits;
  let out: AccessUnitOut[] = [];
  let video: AccessUnitOut[] = [];
  let audio: AccessUnitOut[] = [];
  let processor: SourcePipeline;
  before(() => {
    tags = makeFlvWithFfmpeg(TEST_FLV_ARGS).tags;
    read = readFlvUnits(tags);
    let r = 1;
    processor = pipelineFor(read, { random: () => (r = (r * 1103515245 + 12345) >>> 0) });
    out = run(processor, read);
    video = out.filter((a) => a.track === 0);
    audio = out.filter((a) => a.track === 1);
  });

  test('one access unit per video frame and per AAC frame', () => {
    const videoFrames = tags.filter((t) => t.tagType === 9 && t.data[1] === 1).length;
    const audioFrames = tags.filter((t) => t.tagType === 8 && t.data[1] === 1).length;
    assert.equal(read.units.filter((u) => u.track === 0).length, videoFrames, 'one codec unit per video tag');
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
    const decoded = depacketize(new H264Decoder(), video.flatMap((a) => a.packets));
    assert.equal(decoded.length, video.length);
    decoded.forEach((au, i) => {
      assert.equal(au.timestamp, video[i].rtpTimestamp);
      assert.deepEqual(au.nalus, video[i].nalus);
    });
  });

  test('AAC: one AU per frame, RTP timestamps step exactly 1024', () => {
    const aus = depacketize(new AacDecoder(), audio.flatMap((a) => a.packets));
    assert.equal(aus.length, audio.length);
    for (let i = 1; i < audio.length; i++) assert.equal(timestampDiff(audio[i - 1].rtpTimestamp, audio[i].rtpTimestamp), 1024);
  });

  test('depacketized Annex B decodes without errors in ffmpeg, with every frame counted by ffprobe', () => {
    const aus = depacketizeVideo(video.flatMap((a) => a.packets), 'h264');
    assert.equal(decodedFrames(aus, 'h264'), 50);
  });

  test('re-publish (a new generation: reset, configured again): same SSRC, sequence continues, timestamps move forward', () => {
    const lastVideo = parseRtpPacket(video[video.length - 1].packets[video[video.length - 1].packets.length - 1]);
    processor.reset();
    assert.equal(processor.videoConfig, undefined);
    processor.configureFormats({ control: undefined, tracks: read.tracks.map((t) => ({ ...t, control: undefined })), unsupported: [] });
    const again = run(processor, readFlvUnits(tags)).filter((a) => a.track === 0);
    const first = parseRtpPacket(again[0].packets[0]);
    assert.equal(first.header.ssrc, lastVideo.header.ssrc);
    assert.equal(seqDiff(lastVideo.header.sequenceNumber, first.header.sequenceNumber), 1);
    assert.ok(timestampDiff(lastVideo.header.timestamp, first.header.timestamp) > 0);
  });

  test('a unit for a track the source did not describe is counted and skipped; the pipeline keeps working', () => {
    const p = pipelineFor(read);
    assert.deepEqual(p.processUnit({ ...read.units[0], track: 7 }, 0), []);
    assert.equal(p.ignoredPackets, 1);
    assert.equal(p.processUnit(read.units.find((u) => u.track === 0 && u.keyframe) ?? read.units[0], 0).length, 1);
  });
});

describe('FLV audio timestamps (FlvReader → pipeline)', () => {
  test('FLV ms rounding (23/23/24 ms at 44.1 kHz) never makes RTP timestamps jitter', () => {
    const reader = new FlvReader();
    reader.read(18, 0, new Uint8Array([2, 0, 10, ...Buffer.from('onMetaData'), 3, 0, 8, ...Buffer.from('hasVideo'), 1, 0, 0, 0, 9]));
    reader.read(8, 0, new Uint8Array([0xaf, 0, 0x12, 0x10]));
    const p = pipelineFor({ tracks: reader.tracks }, { random: () => 0 });
    const ts: number[] = [];
    for (let i = 0; i < 500; i++) {
      const ms = Math.round((i * 1024 * 1000) / 44100);
      for (const u of reader.read(8, ms, new Uint8Array([0xaf, 1, 0x21, 0x10, 0x04])).units) ts.push(...p.processUnit(u, ms).map((a) => a.rtpTimestamp));
    }
    assert.equal(ts.length, 500);
    ts.forEach((t, i) => assert.equal(timestampDiff(ts[0], t), i * 1024));
  });
});
