import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readSdpFormats } from '@streamgate/media';
import { decodeJson, encodeJson, StreamEvent } from './messages';
import { formatOfSource, SourceFormat, sourceFormatOf, SourceFormatError } from './source-formats';

const FIXTURES = join(__dirname, '../../../../libs/protocol/sdp/fixtures');
const H265 = [
  'v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0', 'm=video 0 RTP/AVP 98', 'a=rtpmap:98 H265/90000',
  'a=fmtp:98 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwAeLAk=;sprop-sps=QgEBAWAAAAMAkAAAAwAAAwAeoBQgeWWVmkkyvAWgIAAAAwAgAAADAyE=;sprop-pps=RAHBcrRiQA==', '',
].join('\r\n');
const sdps = [...['gst-rtsp-server.sdp', 'dahua-style.sdp', 'hikvision-style.sdp', 'ffmpeg-rtp.sdp'].map((f) => readFileSync(join(FIXTURES, f), 'utf8')), H265];

describe('source formats on the bus (source-started)', () => {
  it('every format read from the camera SDPs survives JSON and the schema unchanged', () => {
    let n = 0;
    for (const sdp of sdps) {
      const read = readSdpFormats(sdp);
      const event: StreamEvent = { type: 'source-started', stream: 'cam', source: 'rtsp', at: 1, generation: 2, formats: read.tracks.map(sourceFormatOf) };
      const back = decodeJson(StreamEvent, 'stream.cam.events', encodeJson(StreamEvent, event));
      assert.deepEqual(back.formats?.map(formatOfSource), read.tracks.map(({ index, format }) => ({ index, format })));
      n += read.tracks.length;
    }
    assert.ok(n >= 6, `${n} tracks`);
  });

  it('refuses what is not a format (schema) and an AudioSpecificConfig that does not parse (SourceFormatError)', () => {
    const bad = { codec: 'MPEG4-GENERIC', track: 1, payload_type: 97, clock_rate: 48000, config: 'f800', size_length: 13, index_length: 3, index_delta_length: 3 } as const;
    assert.ok(SourceFormat.safeParse(bad).success);
    assert.throws(() => formatOfSource(bad), SourceFormatError);
    assert.equal(SourceFormat.safeParse({ codec: 'H264', track: 0, payload_type: 96, clock_rate: 90000, packetization_mode: 2 }).success, false, 'interleaved mode is never carried');
    assert.equal(SourceFormat.safeParse({ codec: 'VP8', track: 0, payload_type: 96, clock_rate: 90000 }).success, false);
    fc.assert(fc.property(fc.anything(), (v) => {
      const r = SourceFormat.safeParse(v);
      if (!r.success) return;
      try {
        formatOfSource(r.data);
      } catch (err) {
        if (!(err instanceof SourceFormatError)) throw err;
      }
    }));
  });
});
