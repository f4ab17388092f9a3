import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { SdpParseError } from './errors';
import { parseSdp, serializeSdp } from './session-description';
import { getAttribute, mediaFmtp, mediaFormat, mediaRtpMap, parseRtpMap } from './media-attributes';

// dist/libs/protocol/sdp/src → repository root
const FIXTURES = join(__dirname, '../../../../../libs/protocol/sdp/fixtures');
const load = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const table = [
  { file: 'ffmpeg-rtp.sdp', media: [['video', 'H264', 90000]], controls: [undefined], fmtpKey: 'packetization-mode', fmtpValue: '1' },
  { file: 'gst-rtsp-server.sdp', media: [['video', 'H264', 90000], ['audio', 'MPEG4-GENERIC', 44100]], controls: ['stream=0', 'stream=1'], fmtpKey: 'profile-level-id', fmtpValue: '64000b' },
  { file: 'hikvision-style.sdp', media: [['video', 'H264', 90000]], controls: ['rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast'], fmtpKey: 'sprop-parameter-sets', fmtpValue: 'Z00AKpY1QPAET8s3AQEBAgAAAwACAAADAGQQ,aO48gA==' },
  { file: 'dahua-style.sdp', media: [['video', 'H264', 90000], ['audio', 'PCMA', 8000]], controls: ['trackID=0', 'trackID=1'], fmtpKey: 'profile-level-id', fmtpValue: '4D002A' },
];

describe('parseSdp with real descriptions', () => {
  for (const c of table) {
    test(c.file, () => {
      const sdp = parseSdp(load(c.file));
      assert.equal(sdp.version, 0);
      assert.deepEqual(sdp.media.map((m) => {
        const map = mediaRtpMap(m);
        return [m.type, map?.encoding, map?.clockRate];
      }), c.media);
      assert.deepEqual(sdp.media.map((m) => getAttribute(m.attributes, 'control')), c.controls);
      assert.equal(mediaFmtp(sdp.media[0])?.get(c.fmtpKey), c.fmtpValue);
      // serialize → parse keeps everything we model
      assert.deepEqual(parseSdp(serializeSdp(sdp)), sdp);
    });
  }

  test('gst-rtsp-server audio: channels and AAC fmtp', () => {
    const audio = parseSdp(load('gst-rtsp-server.sdp')).media[1];
    assert.equal(mediaRtpMap(audio)?.channels, 1);
    assert.equal(mediaFmtp(audio)?.get('config'), '120856e500');
    assert.equal(mediaFmtp(audio)?.get('sizelength'), '13');
  });

  test('static payload type without rtpmap is left to the caller', () => {
    assert.equal(parseRtpMap('8 PCMA/8000')?.payloadType, 8);
    assert.equal(parseRtpMap('garbage'), undefined);
  });

  test('mediaFormat: rtpmap first, else the RFC 3551 static type; dynamic without rtpmap is unknown', () => {
    const sdp = parseSdp('v=0\r\nm=audio 0 RTP/AVP 0\r\nm=video 0 RTP/AVP 26\r\nm=video 0 RTP/AVP 96\r\nm=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/16000\r\n');
    assert.deepEqual(sdp.media.map((m) => mediaFormat(m)), [
      { payloadType: 0, encoding: 'PCMU', clockRate: 8000, channels: 1 },
      { payloadType: 26, encoding: 'JPEG', clockRate: 90000 },
      undefined,
      { payloadType: 8, encoding: 'PCMA', clockRate: 16000 },
    ]);
  });
});

describe('parseSdp limits and errors', () => {
  const bad: Array<[string, string]> = [
    ['empty', ''],
    ['no v= first', 's=x\r\nv=0\r\n'],
    ['version 1', 'v=1\r\n'],
    ['not a type line', 'v=0\r\nhello\r\n'],
    ['bad m=', 'v=0\r\nm=video x RTP/AVP 96\r\n'],
    ['port out of range', 'v=0\r\nm=video 70000 RTP/AVP 96\r\n'],
  ];
  for (const [name, text] of bad) test(`rejects ${name}`, () => assert.throws(() => parseSdp(text), SdpParseError));
  test('bounded size, lines and media', () => {
    assert.throws(() => parseSdp(`v=0\r\n${'a=x\r\n'.repeat(20000)}`), SdpParseError);
    assert.throws(() => parseSdp(`v=0\r\n${'m=video 0 RTP/AVP 96\r\n'.repeat(40)}`), SdpParseError);
  });
  test('fuzz from the real descriptions: only SdpParseError', () => {
    const seeds = table.map((c) => load(c.file));
    fc.assert(fc.property(fc.nat({ max: seeds.length - 1 }), fc.nat(), fc.nat({ max: 200 }), fc.string({ maxLength: 30 }), (i, at, cut, insert) => {
      const s = seeds[i];
      const pos = at % (s.length + 1);
      const text = s.slice(0, pos) + insert + s.slice(Math.min(s.length, pos + cut));
      try {
        const sdp = parseSdp(text);
        parseSdp(serializeSdp(sdp));
      } catch (err) {
        assert.ok(err instanceof SdpParseError, String(err));
      }
    }), { seed: 8866, numRuns: 2000 });
  });
});
