import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { H265NalType, h265IsKeyframe, h265NalType, joinAvcc, serializeHevcDecoderConfig, splitAnnexB } from '@streamgate/codec';
import { amf0Property, decodeCommand, ExVideoPacketType } from '@streamgate/protocol-rtmp';
import { gstPlayRtsp, killAll, spawnTracked, withTimeout } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { RawRtmpClient } from '@streamgate/ingest/testing';
import { decodeWithFfmpeg, probe, startTestGateway, waitForStream } from './gateway-harness';

/**
 * H.265 over enhanced RTMP (veovera enhanced-rtmp v1: ExVideoTagHeader, FourCC "hvc1",
 * PacketTypeSequenceStart / CodedFrames / CodedFramesX) in, RFC 7798 out to RTSP readers.
 *
 * No enhanced-RTMP publisher runs on this machine: Debian's ffmpeg is 5.1 (hvc1 in FLV came
 * with 6.1), GStreamer 1.22's flvmux has no H.265, and npm's ffmpeg builds download their
 * binary at install time. So the publisher here is ours, and only the packaging is ours: the
 * HEVC bitstream is real libx265 output (ffmpeg 5.1), cut into access units and wrapped in
 * tags exactly as the spec lays them out (captures made from the spec). The readers are the
 * independent ones: ffprobe/ffmpeg and GStreamer, over RTSP/TCP and UDP.
 */
const FPS = 25;
const GOP = 25;
const SECONDS = 4;
const ENHANCED = 0x80;
const HVC1 = [0x68, 0x76, 0x63, 0x31];

interface Frame {
  nalus: Uint8Array[];
  keyframe: boolean;
}

async function encodeHevc(): Promise<{ vps: Uint8Array; sps: Uint8Array; pps: Uint8Array; frames: Frame[] }> {
  const file = join(mkdtempSync(join(tmpdir(), 'hevc-')), 'clip.hevc');
  const ff = spawnTracked('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=${FPS}`, '-t', String(SECONDS),
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', `keyint=${GOP}:min-keyint=${GOP}:bframes=0:log-level=none`,
    '-bsf:v', 'hevc_metadata=aud=insert', '-f', 'hevc', file]);
  const done = await withTimeout(ff.exited, 60_000, 'libx265 encode');
  assert.equal(done.code, 0, ff.stderr());
  const sets: Partial<Record<'vps' | 'sps' | 'pps', Uint8Array>> = {};
  const frames: Frame[] = [];
  let current: Uint8Array[] = [];
  const flush = (): void => {
    if (current.length > 0) frames.push({ nalus: current, keyframe: h265IsKeyframe(current) });
    current = [];
  };
  for (const nalu of splitAnnexB(new Uint8Array(readFileSync(file)), 1 << 20)) {
    const t = h265NalType(nalu);
    // hevc_metadata=aud=insert starts every access unit with a delimiter.
    if (t === H265NalType.AccessUnitDelimiter) flush();
    else if (t === H265NalType.Vps) sets.vps ??= nalu;
    else if (t === H265NalType.Sps) sets.sps ??= nalu;
    else if (t === H265NalType.Pps) sets.pps ??= nalu;
    else current.push(nalu);
  }
  flush();
  assert.ok(sets.vps && sets.sps && sets.pps, 'libx265 wrote VPS, SPS and PPS');
  return { vps: sets.vps, sps: sets.sps, pps: sets.pps, frames };
}

/** ExVideoTagHeader: IsExHeader | FrameType(3) | PacketType(4), FourCC, then the body. */
function exVideoTag(frameType: number, packetType: number, body: Uint8Array, cts?: number): Uint8Array {
  const header = [ENHANCED | (frameType << 4) | packetType, ...HVC1];
  if (cts !== undefined) header.push((cts >> 16) & 0xff, (cts >> 8) & 0xff, cts & 0xff);
  const out = new Uint8Array(header.length + body.byteLength);
  out.set(header);
  out.set(body, header.length);
  return out;
}

async function publish(port: number, key: string): Promise<RawRtmpClient> {
  const c = await RawRtmpClient.connect(port);
  await c.handshake();
  const sid = await c.connectAndCreateStream('live');
  c.command('publish', 5, null, [key, 'live'], sid);
  const status = await c.waitForMessage((m) => m.typeId === 20 && decodeCommand(m).name === 'onStatus', 'onStatus');
  assert.equal(amf0Property(decodeCommand(status).args[0], 'code'), 'NetStream.Publish.Start');
  return c;
}

describe('H.265 over enhanced RTMP → RTSP (RFC 7798)', { timeout: 180_000 }, () => {
  let gw: Gateway;
  let clip: Awaited<ReturnType<typeof encodeHevc>>;

  before(async () => {
    gw = await startTestGateway();
    clip = await encodeHevc();
  });

  after(async () => {
    await killAll();
    await gw?.stop();
  });

  test('hvc1 SequenceStart + CodedFrames/CodedFramesX: ffprobe sees HEVC, ffmpeg (-xerror) and GStreamer decode over TCP and UDP', async () => {
    const key = 'e2e_hevc';
    const c = await publish(gw.rtmpPort, key);
    const streamId = 1;
    const send = (timestamp: number, payload: Uint8Array): void => c.send({ typeId: 9, streamId, timestamp, payload }, 6);
    send(0, exVideoTag(1, ExVideoPacketType.SequenceStart, serializeHevcDecoderConfig(clip.vps, clip.sps, clip.pps)));
    let stop = false;
    let sent = 0;
    // Real-time pacing, the clip looped, so readers join a live stream.
    const pacing = (async () => {
      const start = Date.now();
      for (let i = 0; !stop && c.isOpen; i++) {
        const f = clip.frames[i % clip.frames.length];
        const ms = Math.round((i * 1000) / FPS);
        const body = joinAvcc(f.nalus, 4);
        // Both coded-frame packet types: CodedFrames with an explicit SI24 0, CodedFramesX with none.
        send(ms, i % 2 === 0 ? exVideoTag(f.keyframe ? 1 : 2, ExVideoPacketType.CodedFrames, body, 0) : exVideoTag(f.keyframe ? 1 : 2, ExVideoPacketType.CodedFramesX, body));
        sent++;
        const wait = start + ms + 1000 / FPS - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
    try {
      await waitForStream(gw.rtspPort, key);
      const url = `rtsp://127.0.0.1:${gw.rtspPort}/${key}`;
      for (const transport of ['tcp', 'udp'] as const) {
        const video = (await probe(url, transport)).find((s) => s.codec_type === 'video');
        assert.equal(video?.codec_name, 'hevc', transport);
        assert.equal(video?.width, 320, transport);
        assert.equal(video?.height, 240, transport);
      }
      const [tcp, udp] = await Promise.all([decodeWithFfmpeg(url, 'tcp', 3), decodeWithFfmpeg(url, 'udp', 3)]);
      for (const [name, r] of [['tcp', tcp], ['udp', udp]] as const) {
        assert.equal(r.code, 0, `${name} reader: ${r.stderr}`);
        // 3 s at 25 fps; a reader starts at a keyframe (GOP 1 s).
        assert.ok(r.video >= 40, `${name}: decoded ${r.video} HEVC frames in 3 s`);
      }
      for (const protocols of ['tcp', 'udp'] as const) {
        const gst = await gstPlayRtsp(url, { protocols, seconds: 3 });
        assert.ok(gst.reachedPlaying, `${protocols}: ${gst.stderr}`);
        assert.deepEqual(gst.errors, [], protocols);
        assert.ok(gst.buffers.video >= 25, `${protocols}: GStreamer decoded ${gst.buffers.video} HEVC frames`);
        assert.match(gst.caps.video ?? '', /width=\(int\)320, height=\(int\)240/, protocols);
      }
    } finally {
      stop = true;
      await pacing;
      c.destroy();
    }
    assert.ok(sent > 0);
  });

  test('AV1 ("av01") and VP9 ("vp09") are refused with an onStatus error, not dropped silently', async () => {
    for (const fourCc of ['av01', 'vp09']) {
      const c = await publish(gw.rtmpPort, `e2e_${fourCc}`);
      const tag = Uint8Array.from([ENHANCED | (1 << 4) | ExVideoPacketType.SequenceStart, ...Buffer.from(fourCc), 1, 2, 3]);
      c.send({ typeId: 9, streamId: 1, timestamp: 0, payload: tag }, 6);
      const status = await c.waitForMessage((m) => m.typeId === 20 && decodeCommand(m).name === 'onStatus'
        && amf0Property(decodeCommand(m).args[0], 'level') === 'error', 'onStatus error');
      const info = decodeCommand(status).args[0];
      assert.equal(amf0Property(info, 'code'), 'NetStream.Publish.Rejected');
      assert.match(String(amf0Property(info, 'description')), new RegExp(`video codec ${fourCc} is not supported`));
      assert.ok(await c.closedWithin(3000), `${fourCc}: the publisher is disconnected`);
    }
  });
});
