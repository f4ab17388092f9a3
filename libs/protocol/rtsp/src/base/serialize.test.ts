import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RtspEncodeError } from './errors';
import { RtspHeaders } from './headers';
import { encodeInterleavedFrame, encodeInterleavedFrames, encodeRequest, encodeResponse } from './serialize';
import { reasonPhrase } from './status';

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('RTSP serializers', () => {
  it('writes a response with reason phrase and Content-Length', () => {
    const out = encodeResponse({
      version: 'RTSP/1.0', statusCode: 200, reason: '', body: Buffer.from('v=0\r\n'),
      headers: new RtspHeaders([['CSeq', '2'], ['Content-Type', 'application/sdp'], ['Content-Length', '999']]),
    });
    assert.equal(text(out), 'RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n');
  });

  it('writes the request ffmpeg sends for OPTIONS byte for byte', () => {
    const out = encodeRequest({
      method: 'OPTIONS', url: 'rtsp://127.0.0.1:35603/s', version: 'RTSP/1.0', body: new Uint8Array(0),
      headers: new RtspHeaders([['CSeq', '1'], ['User-Agent', 'Lavf59.27.100']]),
    });
    assert.equal(text(out), 'OPTIONS rtsp://127.0.0.1:35603/s RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Lavf59.27.100\r\n\r\n');
  });

  it('refuses header injection', () => {
    assert.throws(() => new RtspHeaders().set('X', 'a\r\nCSeq: 5'), RtspEncodeError);
    assert.throws(() => new RtspHeaders().set('Bad Name', 'a'), RtspEncodeError);
  });

  it('frames interleaved data (RFC 2326 §10.12)', () => {
    assert.deepEqual([...encodeInterleavedFrame(3, Uint8Array.of(9, 8))], [0x24, 3, 0, 2, 9, 8]);
    assert.deepEqual([...encodeInterleavedFrames(2, [Uint8Array.of(1), Uint8Array.of(2, 3)])], [0x24, 2, 0, 1, 1, 0x24, 2, 0, 2, 2, 3]);
    assert.throws(() => encodeInterleavedFrame(256, Uint8Array.of(1)), RtspEncodeError);
    assert.throws(() => encodeInterleavedFrame(0, new Uint8Array(0x10000)), RtspEncodeError);
  });

  it('knows the RFC 2326 §7.1.1 reason phrases', () => {
    assert.equal(reasonPhrase(454), 'Session Not Found');
    assert.equal(reasonPhrase(455), 'Method Not Valid in This State');
    assert.equal(reasonPhrase(459), 'Aggregate operation not allowed');
    assert.equal(reasonPhrase(461), 'Unsupported transport');
    assert.equal(reasonPhrase(499), 'Client Error');
  });
});
