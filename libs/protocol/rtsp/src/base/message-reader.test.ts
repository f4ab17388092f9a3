import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CAPTURED_REQUESTS } from '@streamgate/protocol-rtsp/testing';
import { RtspParseError } from './errors';
import { RtspHeaders } from './headers';
import { RtspMessageReader, RtspReaderEvent } from './message-reader';
import { encodeInterleavedFrame, encodeRequest, encodeResponse } from './serialize';

const bytes = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

function requestOf(events: RtspReaderEvent[], i = 0) {
  const e = events[i];
  assert.equal(e.type, 'request');
  return e.request;
}

describe('RtspMessageReader: captured client requests', () => {
  for (const [name, text] of Object.entries(CAPTURED_REQUESTS)) {
    it(`parses ${name} whole and byte by byte`, () => {
      const whole = new RtspMessageReader().push(bytes(text));
      assert.equal(whole.length, 1);
      const req = requestOf(whole);
      assert.equal(req.version, 'RTSP/1.0');
      assert.match(req.url, /^rtsp:\/\/127\.0\.0\.1:35603\/s/);
      const reader = new RtspMessageReader();
      const events: RtspReaderEvent[] = [];
      for (const b of bytes(text)) events.push(...reader.push(Uint8Array.of(b)));
      assert.deepEqual(requestOf(events), req);
      assert.equal(reader.bufferedBytes, 0);
    });
  }

  it('keeps repeated headers apart (GStreamer sends two User-Agent fields)', () => {
    const req = requestOf(new RtspMessageReader().push(bytes(CAPTURED_REQUESTS.gstOptions)));
    assert.deepEqual(req.headers.getAll('user-agent'), [
      'GStreamer/1.22.0',
      'RealMedia Player Version 6.0.9.1235 (linux-2.0-libc6-i386-gcc2.95)',
    ]);
    assert.equal(req.headers.get('CSEQ'), '1');
  });
});

describe('RtspMessageReader: framing', () => {
  it('splits requests, a response with a body and interleaved frames mixed in one stream', () => {
    const sdp = 'v=0\r\ns=x\r\n';
    const response = encodeResponse({
      version: 'RTSP/1.0', statusCode: 200, reason: '', body: bytes(sdp),
      headers: new RtspHeaders({ CSeq: '2', 'Content-Type': 'application/sdp' }),
    });
    const rtcp = Uint8Array.from([0x80, 0xc9, 0, 1, 1, 2, 3, 4]);
    const stream = Buffer.concat([
      encodeInterleavedFrame(1, rtcp), bytes(CAPTURED_REQUESTS.ffmpegOptions), response, encodeInterleavedFrame(0, new Uint8Array(0)),
    ]);
    const events = new RtspMessageReader().push(stream);
    assert.deepEqual(events.map((e) => e.type), ['interleaved', 'request', 'response', 'interleaved']);
    const [frame, , res, empty] = events;
    assert.ok(frame.type === 'interleaved' && frame.frame.channel === 1);
    assert.deepEqual(frame.type === 'interleaved' && Uint8Array.from(frame.frame.payload), rtcp);
    assert.ok(res.type === 'response');
    assert.equal(res.response.statusCode, 200);
    assert.equal(Buffer.from(res.response.body).toString('latin1'), sdp);
    assert.ok(empty.type === 'interleaved' && empty.frame.payload.byteLength === 0);
  });

  it('waits for the rest of a body split across reads', () => {
    const reader = new RtspMessageReader();
    const text = 'SET_PARAMETER rtsp://h/s RTSP/1.0\r\nCSeq: 9\r\nContent-Length: 10\r\n\r\n0123456789';
    assert.deepEqual(reader.push(bytes(text.slice(0, text.length - 3))), []);
    const req = requestOf(reader.push(bytes(text.slice(text.length - 3))));
    assert.equal(Buffer.from(req.body).toString(), '0123456789');
  });

  it('tolerates bare LF line ends, folded headers and empty lines between messages', () => {
    const events = new RtspMessageReader().push(bytes('\r\n\r\nOPTIONS * RTSP/1.0\nCSeq: 1\nX-Long: a\n  b\n\n'));
    const req = requestOf(events);
    assert.equal(req.url, '*');
    assert.equal(req.headers.get('x-long'), 'a b');
  });

  it('parses other versions so a server can answer 505', () => {
    assert.equal(requestOf(new RtspMessageReader().push(bytes('OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n'))).version, 'RTSP/2.0');
  });

  for (const [kind, readBuffer] of [['Uint8Array', new Uint8Array(512)], ['Buffer (net onread)', Buffer.alloc(512)]] as const) it(`retainCopy: a frame split across reads into one reused ${kind} comes out whole`, () => {
    const payloads = [Uint8Array.from({ length: 700 }, (_, i) => i & 0xff), Uint8Array.from({ length: 900 }, (_, i) => (i * 7) & 0xff)];
    const stream = Buffer.concat(payloads.map((p, i) => encodeInterleavedFrame(i * 2, p)));
    const reader = new RtspMessageReader();
    const got: Array<{ channel: number; payload: number[] }> = [];
    for (let pos = 0; pos < stream.byteLength; pos += readBuffer.byteLength) {
      const n = Math.min(readBuffer.byteLength, stream.byteLength - pos);
      readBuffer.set(stream.subarray(pos, pos + n));
      // Items are consumed before the next read, as the ingest connection does.
      for (const e of reader.push(readBuffer.subarray(0, n))) if (e.type === 'interleaved') got.push({ channel: e.frame.channel, payload: [...e.frame.payload] });
      reader.retainCopy();
      readBuffer.fill(0xee);
    }
    assert.deepEqual(got, payloads.map((p, i) => ({ channel: i * 2, payload: [...p] })));
    assert.equal(reader.bufferedBytes, 0);
  });

  it('does not mutate its input', () => {
    const input = bytes(CAPTURED_REQUESTS.gstPlay);
    const copy = Uint8Array.from(input);
    new RtspMessageReader().push(input);
    assert.deepEqual(input, copy);
  });
});

describe('RtspMessageReader: errors', () => {
  const cases: Array<[string, string | Uint8Array, number, object?]> = [
    ['binary garbage', Uint8Array.from([0x00, 0xff, 0x10]), 400],
    ['a request line without version', 'OPTIONS rtsp://h/s\r\nCSeq: 1\r\n\r\n', 400],
    ['a header line without colon', 'OPTIONS * RTSP/1.0\r\nCSeq 1\r\n\r\n', 400],
    ['a negative Content-Length', 'OPTIONS * RTSP/1.0\r\nContent-Length: -1\r\n\r\n', 400],
    ['a body over the limit', 'OPTIONS * RTSP/1.0\r\nContent-Length: 2000\r\n\r\n', 413, { maxBodyBytes: 1000 }],
    ['a head over the limit', `OPTIONS * RTSP/1.0\r\nX: ${'a'.repeat(2000)}\r\n\r\n`, 431, { maxHeadBytes: 1024 }],
    ['a head over the limit without end', `OPTIONS * RTSP/1.0\r\nX: ${'a'.repeat(2000)}`, 431, { maxHeadBytes: 1024 }],
    ['too many headers', `OPTIONS * RTSP/1.0\r\n${'X: 1\r\n'.repeat(10)}\r\n`, 431, { maxHeaderCount: 5 }],
  ];
  for (const [name, input, status, options] of cases) {
    it(`rejects ${name} with ${status} and stays failed`, () => {
      const reader = new RtspMessageReader(options);
      const data = typeof input === 'string' ? bytes(input) : input;
      assert.throws(() => reader.push(data), (err: unknown) => err instanceof RtspParseError && err.statusCode === status && err.fatal);
      assert.throws(() => reader.push(bytes(CAPTURED_REQUESTS.ffmpegOptions)), RtspParseError);
    });
  }

  it('caps the events returned by one push and drains the rest', () => {
    const reader = new RtspMessageReader({ maxEventsPerPush: 2 });
    const five = Buffer.concat(Array.from({ length: 5 }, () => encodeInterleavedFrame(0, Uint8Array.of(1))));
    assert.equal(reader.push(five).length, 2);
    assert.equal(reader.drain().length, 2);
    assert.equal(reader.drain().length, 1);
  });
});

describe('RtspMessageReader: fuzz', () => {
  const seeds = Object.values(CAPTURED_REQUESTS).map(bytes);
  const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }))
    .map(([seed, edits]) => {
      const copy = Uint8Array.from(seed);
      for (const [pos, value] of edits) copy[pos % copy.byteLength] = value;
      return copy;
    });
  const input = fc.oneof(mutated, fc.uint8Array({ maxLength: 600 }), fc.string({ maxLength: 300 }).map(bytes));

  it('returns events or throws RtspParseError, in bounded time, for any chunking', () => {
    fc.assert(
      fc.property(input, fc.array(fc.nat(700), { maxLength: 4 }), (data, cuts) => {
        const reader = new RtspMessageReader({ maxHeadBytes: 1024, maxBodyBytes: 1024 });
        const points = [...new Set(cuts.map((c) => c % (data.byteLength + 1)))].sort((a, b) => a - b);
        let prev = 0;
        try {
          for (const p of [...points, data.byteLength]) {
            reader.push(data.subarray(prev, p));
            prev = p;
          }
        } catch (err) {
          assert.ok(err instanceof RtspParseError, String(err));
        }
        assert.ok(reader.bufferedBytes <= data.byteLength);
      }),
      { numRuns: 3000 },
    );
  });

  it('parses what encodeRequest wrote (round trip)', () => {
    const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,15}$/);
    const value = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,40}[\x21-\x7e])?$/);
    fc.assert(
      fc.property(token, fc.array(fc.tuple(token, value), { maxLength: 10 }), fc.uint8Array({ maxLength: 100 }), (method, fields, body) => {
        const headers = new RtspHeaders(fields);
        const encoded = encodeRequest({ method, url: 'rtsp://h:1/s', version: 'RTSP/1.0', headers, body });
        const [event] = new RtspMessageReader().push(encoded);
        assert.ok(event.type === 'request');
        assert.equal(event.request.method, method);
        assert.deepEqual(Uint8Array.from(event.request.body), body);
        for (const [n, v] of fields) if (n.toLowerCase() !== 'content-length') assert.ok(event.request.headers.getAll(n).includes(v));
      }),
      { numRuns: 500 },
    );
  });
});
