import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InterleavedFrameHead, RtspResponse, RtspStreamParser } from './rtsp-stream-parser';

function rtp(seq: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b[0] = 0x80;
  b[1] = 96;
  b.writeUInt16BE(seq, 2);
  return b;
}

function interleaved(channel: number, payload: Buffer): Buffer {
  const h = Buffer.from([0x24, channel, 0, 0]);
  h.writeUInt16BE(payload.length, 2);
  return Buffer.concat([h, payload]);
}

// A PLAY answer followed at once by media and a later keepalive answer, as a server writes them.
const stream = Buffer.concat([
  Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: abc;timeout=60\r\nRTP-Info: url=x;seq=1\r\n\r\n', 'latin1'),
  interleaved(0, rtp(1, 1400)),
  interleaved(2, rtp(7, 300)),
  interleaved(0, rtp(2, 5)),
  Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 5\r\nContent-Length: 4\r\n\r\nbody', 'latin1'),
  interleaved(1, Buffer.alloc(0)),
  interleaved(0, rtp(3, 12)),
]);

function parse(chunks: Buffer[]): { responses: RtspResponse[]; frames: InterleavedFrameHead[] } {
  const responses: RtspResponse[] = [];
  const frames: InterleavedFrameHead[] = [];
  const p = new RtspStreamParser((r) => responses.push(r), (f) => frames.push(f));
  for (const c of chunks) p.push(c);
  return { responses, frames };
}

describe('RtspStreamParser', () => {
  it('separates responses from interleaved frames', () => {
    const { responses, frames } = parse([stream]);
    assert.deepEqual(responses.map((r) => [r.headers.get('cseq'), r.body]), [['4', ''], ['5', 'body']]);
    assert.deepEqual(frames.map((f) => [f.channel, f.length, f.head.length > 3 ? f.head.readUInt16BE(2) : -1]), [
      [0, 1400, 1], [2, 300, 7], [0, 5, 2], [1, 0, -1], [0, 12, 3],
    ]);
  });

  it('gives the same result however the bytes are split', () => {
    const whole = parse([stream]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 20 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const chunks = points.slice(1).map((end, i) => stream.subarray(points[i], end));
        const split = parse(chunks);
        assert.deepEqual(split.frames, whole.frames);
        assert.deepEqual(split.responses, whole.responses);
      }),
    );
  });
});
