import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAudioSpecificConfig } from '@streamgate/codec';
import { buildStreamDescription } from './stream-description';

const sps = Uint8Array.from([0x67, 0x64, 0x00, 0x1f, 0xac]);
const pps = Uint8Array.from([0x68, 0xee, 0x3c, 0x80]);
const asc = Uint8Array.from([0x12, 0x10]);

test('H.264 + AAC SDP: fmtp lines as readers expect them', () => {
  const d = buildStreamDescription({
    stream: 's', generation: 1, sessionId: '42', version: 3,
    video: { config: { codec: 'H264', sps, pps }, ssrc: 1 },
    audio: { config: { asc, parsed: parseAudioSpecificConfig(asc), clockRate: 44100 }, ssrc: 2 },
  });
  const lines = d.sdp.split('\r\n');
  assert.ok(lines.includes('a=rtpmap:96 H264/90000'));
  assert.ok(lines.includes('a=fmtp:96 packetization-mode=1;profile-level-id=64001f;sprop-parameter-sets=Z2QAH6w=,aO48gA=='));
  assert.ok(lines.includes('a=rtpmap:97 MPEG4-GENERIC/44100/2'));
  assert.ok(lines.includes('a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1210'));
  assert.ok(lines.includes('a=control:trackID=0') && lines.includes('a=control:trackID=1'));
  assert.deepEqual(d.tracks.map((t) => [t.id, t.ssrc, t.clockRate]), [[0, 1, 90000], [1, 2, 44100]]);
});

test('H.265 SDP: sprop-vps/sps/pps', () => {
  const vps = Uint8Array.from([0x40, 0x01]);
  const d = buildStreamDescription({ stream: 's', generation: 0, sessionId: '1', version: 0, video: { config: { codec: 'H265', vps, sps, pps }, ssrc: 5 } });
  assert.ok(d.sdp.split('\r\n').includes('a=fmtp:96 sprop-vps=QAE=;sprop-sps=Z2QAH6w=;sprop-pps=aO48gA=='));
});
