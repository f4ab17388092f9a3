/**
 * One table of camera SDPs through the one SDP reader: which sections are carried (ingest
 * SETUPs exactly these, the packetizer depacketizes exactly these) and why the others are not.
 * Fixture files are captures named in libs/protocol/sdp/fixtures/SOURCE.md; the inline shapes
 * follow what the named cameras and tools send.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SdpParseError } from '@streamgate/protocol-sdp';
import { formatToSdpMedia, readSdpFormats } from './sdp-format';

const FIXTURES = join(__dirname, '../../../../../libs/protocol/sdp/fixtures');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const sdp = (...lines: string[]): string => ['v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0', ...lines, ''].join('\r\n');

// Real SPS/PPS/VPS (libx264 / libx265 via ffmpeg 5.1, the sps.test.ts tables), base64.
const H265_VPS = 'QAEMAf//AWAAAAMAkAAAAwAAAwAeLAk=';
const H265_SPS = 'QgEBAWAAAAMAkAAAAwAAAwAeoBQgeWWVmkkyvAWgIAAAAwAgAAADAyE=';
const H265_PPS = 'RAHBcrRiQA==';

interface Row {
  name: string;
  sdp: string;
  /** [sdp index, codec, payload type, clock rate, control] of every carried (SETUP and served) track. */
  carried: Array<[number, string, number, number, string | undefined]>;
  /** [sdp index, reason pattern] of every section left out. */
  left: Array<[number, RegExp]>;
  /** Parameter sets the carried video track knows from the SDP. */
  sets?: string[];
}

const table: Row[] = [
  {
    name: 'GStreamer rtsp-server: H.264 + AAC-hbr (fixture)', sdp: fixture('gst-rtsp-server.sdp'),
    carried: [[0, 'H264', 96, 90000, 'stream=0'], [1, 'MPEG4-GENERIC', 97, 44100, 'stream=1']], left: [], sets: ['sps', 'pps'],
  },
  {
    name: 'Dahua: H.264 + PCMA (fixture)', sdp: fixture('dahua-style.sdp'),
    carried: [[0, 'H264', 96, 90000, 'trackID=0']], left: [[1, /PCMA is not supported/]], sets: ['sps', 'pps'],
  },
  {
    name: 'Hikvision: absolute control URLs, spaces in fmtp (fixture)', sdp: fixture('hikvision-style.sdp'),
    carried: [[0, 'H264', 96, 90000, 'rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast']], left: [], sets: ['sps', 'pps'],
  },
  {
    name: 'ffmpeg -f rtp: H.264 without sprop, no control (fixture)', sdp: fixture('ffmpeg-rtp.sdp'),
    carried: [[0, 'H264', 96, 90000, undefined]], left: [], sets: [],
  },
  {
    name: 'several video sections: the first carried, the others named',
    sdp: sdp('m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1', 'a=control:trackID=0',
      'm=video 0 RTP/AVP 97', 'a=rtpmap:97 H265/90000', 'a=control:trackID=1',
      'm=video 0 RTP/AVP 98', 'a=rtpmap:98 H264/90000', 'a=control:trackID=2'),
    carried: [[0, 'H264', 96, 90000, 'trackID=0']], left: [[1, /another video track/], [2, /another video track/]], sets: [],
  },
  {
    name: 'packetization-mode 2 refused, the next section carried',
    sdp: sdp('m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=2', 'a=control:a',
      'm=video 0 RTP/AVP 97', 'a=rtpmap:97 H264/90000', 'a=fmtp:97 packetization-mode=1', 'a=control:b'),
    carried: [[1, 'H264', 97, 90000, 'b']], left: [[0, /packetization-mode 2/]], sets: [],
  },
  {
    name: 'static payload types without rtpmap (PCMU 0, PCMA 8, JPEG 26) are named, not guessed',
    sdp: sdp('m=audio 0 RTP/AVP 0', 'a=control:trackID=1', 'm=video 0 RTP/AVP 26', 'a=control:trackID=2',
      'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=control:trackID=3', 'm=audio 0 RTP/AVP 8'),
    carried: [[2, 'H264', 96, 90000, 'trackID=3']], left: [[0, /PCMU is not supported/], [1, /JPEG is not supported/], [3, /PCMA is not supported/]], sets: [],
  },
  {
    name: 'no fmtp at all: H.264 carried (parameter sets in-band), AAC without config refused',
    sdp: sdp('m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'm=audio 0 RTP/AVP 97', 'a=rtpmap:97 MPEG4-GENERIC/48000/2'),
    carried: [[0, 'H264', 96, 90000, undefined]], left: [[1, /mode \(none\)/]], sets: [],
  },
  {
    name: 'H.265 with sprop-vps/sps/pps, AAC-lbr, ONVIF metadata',
    sdp: sdp('m=video 0 RTP/AVP 98', 'a=rtpmap:98 H265/90000', `a=fmtp:98 sprop-vps=${H265_VPS}; sprop-sps=${H265_SPS}; sprop-pps=${H265_PPS}`, 'a=control:trackID=0',
      'm=audio 0 RTP/AVP 104', 'a=rtpmap:104 mpeg4-generic/16000/1', 'a=fmtp:104 streamtype=5;mode=AAC-lbr;config=1408;sizelength=6;indexlength=2;indexdeltalength=2', 'a=control:trackID=1',
      'm=application 0 RTP/AVP 107', 'a=rtpmap:107 vnd.onvif.metadata/90000', 'a=control:trackID=4'),
    carried: [[0, 'H265', 98, 90000, 'trackID=0'], [1, 'MPEG4-GENERIC', 104, 16000, 'trackID=1']], left: [[2, /VND.ONVIF.METADATA is not supported/]], sets: ['vps', 'sps', 'pps'],
  },
  {
    name: 'H.265 with DONL (sprop-max-don-diff) refused; audio first in the SDP keeps its index',
    sdp: sdp('m=audio 0 RTP/AVP 97', 'a=rtpmap:97 MPEG4-GENERIC/44100/2', 'a=fmtp:97 mode=AAC-hbr;config=1210',
      'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H265/90000', 'a=fmtp:96 sprop-max-don-diff=2'),
    carried: [[0, 'MPEG4-GENERIC', 97, 44100, undefined]], left: [[1, /DONL/]],
  },
  {
    name: 'a section offering several payload types: the first we carry wins',
    sdp: sdp('m=video 0 RTP/AVP 26 97 96', 'a=rtpmap:97 VP8/90000', 'a=rtpmap:96 H264/90000'),
    carried: [[0, 'H264', 96, 90000, undefined]], left: [], sets: [],
  },
  {
    name: 'RTP/SAVP (SRTP) is not RTP/AVP',
    sdp: sdp('m=video 0 RTP/SAVP 96', 'a=rtpmap:96 H264/90000'),
    carried: [], left: [[0, /transport RTP\/SAVP/]],
  },
];

describe('readSdpFormats: which camera tracks are SETUP and served', () => {
  for (const row of table) {
    it(row.name, () => {
      const r = readSdpFormats(row.sdp);
      assert.deepEqual(r.tracks.map((t) => [t.index, t.format.codec, t.format.payloadType, t.format.clockRate, t.control]), row.carried);
      assert.deepEqual(r.unsupported.map((u) => u.index), row.left.map(([i]) => i));
      r.unsupported.forEach((u, i) => assert.match(u.reason, row.left[i][1]));
      const video = r.tracks.find((t) => t.format.media === 'video')?.format;
      if (row.sets && video?.media === 'video') assert.deepEqual(Object.keys(video.parameterSets), row.sets);
    });
  }

  it('AAC fields: the SDP lengths, the AAC-hbr defaults, the parsed AudioSpecificConfig', () => {
    const gst = readSdpFormats(fixture('gst-rtsp-server.sdp')).tracks[1].format;
    assert.ok(gst.media === 'audio');
    assert.deepEqual([gst.sizeLength, gst.indexLength, gst.indexDeltaLength, gst.parsed.sampleRate, gst.parsed.channels], [13, 3, 3, 44100, 1]);
    const lbr = readSdpFormats(table[8].sdp).tracks[1].format;
    assert.ok(lbr.media === 'audio');
    assert.deepEqual([lbr.sizeLength, lbr.indexLength, lbr.indexDeltaLength], [6, 2, 2]);
  });

  it('written formats read back the same (round trip through the SDP writer)', () => {
    for (const row of table) {
      for (const t of readSdpFormats(row.sdp).tracks) {
        const text = ['v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0'].join('\r\n') + '\r\n' + mediaText(formatToSdpMedia(t.format, 96, 'trackID=0'));
        const back = readSdpFormats(text).tracks[0].format;
        assert.equal(back.codec, t.format.codec);
        assert.equal(back.clockRate, t.format.clockRate);
        if (back.media === 'video' && t.format.media === 'video') {
          const complete = t.format.parameterSets.sps && t.format.parameterSets.pps;
          if (complete) assert.deepEqual(back.parameterSets, t.format.parameterSets);
        }
        if (back.media === 'audio' && t.format.media === 'audio') assert.deepEqual(back.asc, t.format.asc);
      }
    }
  });

  it('refuses what is not SDP with SdpParseError, never anything else (fuzz seeded from the table)', () => {
    assert.throws(() => readSdpFormats('<html>'), SdpParseError);
    fc.assert(fc.property(fc.constantFrom(...table.map((r) => r.sdp)), fc.nat(), fc.string({ maxLength: 40 }), (text, at, junk) => {
      const i = at % (text.length + 1);
      try {
        const r = readSdpFormats(text.slice(0, i) + junk + text.slice(i));
        assert.ok(r.tracks.filter((t) => t.format.media === 'video').length <= 1);
        assert.ok(r.tracks.filter((t) => t.format.media === 'audio').length <= 1);
      } catch (err) {
        if (!(err instanceof SdpParseError)) throw err;
      }
    }));
  });
});

function mediaText(m: ReturnType<typeof formatToSdpMedia>): string {
  return [`m=${m.type} 0 ${m.protocol} ${m.formats.join(' ')}`, ...m.attributes.map((a) => `a=${a.name}:${a.value}`), ''].join('\r\n');
}
