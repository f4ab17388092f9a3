import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ChunkDecoder } from './chunk-decoder';
import { ChunkEncoder } from './chunk-encoder';
import { RtmpChunkError } from './chunk-error';
import { RtmpMessage } from './rtmp-message';

const FIXTURES = join(__dirname, '../../../../../../libs/protocol/rtmp/fixtures');
const HANDSHAKE_BYTES = 1 + 2 * 1536;
const chunks = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(join(FIXTURES, name))).subarray(HANDSHAKE_BYTES);
const ffmpegChunks = chunks('ffmpeg-5.1-publish.bin');
const ffmpegExtendedChunks = chunks('ffmpeg-5.1-publish-extended-ts.bin');

const summary = (m: RtmpMessage): [number, number, number, number] => [m.typeId, m.streamId, m.timestamp, m.payload.byteLength];

function decodeInSteps(input: Uint8Array, step: number, dec = new ChunkDecoder()): RtmpMessage[] {
  const out: RtmpMessage[] = [];
  for (let i = 0; i < input.byteLength; i += step) out.push(...dec.push(input.subarray(i, i + step)));
  return out;
}

describe('ChunkDecoder: ffmpeg 5.1 publish capture', () => {
  test('decodes the command sequence, Set Chunk Size 4096 and the first media tags', () => {
    const dec = new ChunkDecoder();
    const msgs = dec.push(ffmpegChunks);
    assert.deepEqual(msgs.slice(0, 14).map(summary), [
      [20, 0, 0, 140], // connect
      [1, 0, 0, 4], // Set Chunk Size 4096, applied to every chunk after it
      [20, 0, 0, 33], // releaseStream
      [20, 0, 0, 29], // FCPublish
      [20, 0, 0, 25], // createStream
      [20, 1, 0, 34], // publish
      [18, 1, 0, 309], // @setDataFrame onMetaData
      [9, 1, 0, 51], // AVC sequence header
      [8, 1, 0, 7], // AAC AudioSpecificConfig
      [9, 1, 0, 4994], // IDR: larger than 4096, so one fmt 3 continuation
      [9, 1, 40, 2094],
      [8, 1, 57, 260],
      [9, 1, 80, 1079], // fmt 1/2 deltas on the video chunk stream
      [8, 1, 80, 260],
    ]);
    assert.equal(dec.chunkSize, 4096);
    assert.equal(msgs.length, 59);
  });

  test('decoding byte by byte (and in odd steps) gives the same messages', () => {
    const whole = new ChunkDecoder().push(ffmpegChunks).map(summary);
    for (const step of [1, 7, 128, 4097]) assert.deepEqual(decodeInSteps(ffmpegChunks, step).map(summary), whole, `step ${step}`);
  });

  test('extended timestamps across 0xFFFFFF, including fmt 3 continuation chunks (ffmpeg -output_ts_offset)', () => {
    const msgs = new ChunkDecoder().push(ffmpegExtendedChunks);
    const media = msgs.filter((m) => m.typeId === 8 || m.typeId === 9).filter((m) => m.timestamp > 0);
    const video = media.filter((m) => m.typeId === 9);
    assert.equal(video[0].timestamp, 16777020);
    assert.ok(media.some((m) => m.timestamp === 16777216), 'an audio tag lands right on 2^24');
    const keyframe = video.find((m) => m.timestamp === 16778020);
    assert.ok(keyframe, 'second keyframe, extended timestamp');
    assert.equal(keyframe.payload.byteLength, 5605);
    assert.equal(keyframe.payload[0], 0x17, 'continuation chunk data joined after its extended timestamp');
    for (let i = 1; i < video.length; i++) {
      const d = video[i].timestamp - video[i - 1].timestamp;
      assert.ok(d >= 0 && d <= 80, `video dts step ${d} at ${i}`);
    }
    assert.deepEqual(decodeInSteps(ffmpegExtendedChunks, 3).map(summary), msgs.map(summary));
  });

  test('payloads decoded in one push are views into the input and the input is not mutated', () => {
    const copy = ffmpegChunks.slice();
    const msgs = new ChunkDecoder().push(ffmpegChunks);
    assert.deepEqual(ffmpegChunks, copy);
    assert.equal(msgs[7].payload.byteLength, 51, 'the AVC sequence header fits one chunk');
    assert.equal(msgs[7].payload.buffer, ffmpegChunks.buffer, 'single-chunk payloads are not copied');
  });
});

describe('ChunkDecoder: what it keeps between pushes', () => {
  test('is a copy: a caller that reads into one reused Buffer gets the same messages', () => {
    const expected = new ChunkDecoder().push(ffmpegChunks).map((m) => [...summary(m), Buffer.from(m.payload).toString('hex')]);
    // One read buffer for every read, as a connection reading into a shared buffer has it.
    const read = Buffer.alloc(1000);
    const dec = new ChunkDecoder();
    const got: (number | string)[][] = [];
    for (let i = 0; i < ffmpegChunks.byteLength; i += 700) {
      const n = Math.min(700, ffmpegChunks.byteLength - i);
      read.set(ffmpegChunks.subarray(i, i + n));
      // Messages completed by this read are used now (their payloads may be views of it).
      for (const m of dec.push(read.subarray(0, n))) got.push([...summary(m), Buffer.from(m.payload).toString('hex')]);
      read.fill(0xee);
    }
    assert.deepEqual(got, expected);
  });
});

describe('ChunkDecoder: header forms (spec §5.3.1)', () => {
  test('fmt 1, 2 and 3 apply deltas; fmt 3 after fmt 0 reuses the fmt 0 timestamp as delta', () => {
    const p = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
    const bytes = Uint8Array.from([
      0x04, 0, 0, 100, 0, 0, 2, 9, 1, 0, 0, 0, ...p(2), // fmt 0 ts 100 len 2 type 9 sid 1
      0x44, 0, 0, 10, 0, 0, 3, 8, ...p(3), // fmt 1 delta 10 len 3 type 8
      0x84, 0, 0, 20, ...p(3), // fmt 2 delta 20
      0xc4, ...p(3), // fmt 3: delta 20 again
      0x05, 0, 0, 50, 0, 0, 1, 9, 1, 0, 0, 0, 7, // csid 5 fmt 0 ts 50
      0xc5, 8, // fmt 3 new message: delta = 50 (§5.3.1.2.4)
    ]);
    assert.deepEqual(new ChunkDecoder().push(bytes).map(summary), [
      [9, 1, 100, 2], [8, 1, 110, 3], [8, 1, 130, 3], [8, 1, 150, 3], [9, 1, 50, 1], [9, 1, 100, 1],
    ]);
  });

  test('2- and 3-byte basic headers: csid 64, 319, 320 and 65599', () => {
    const enc = new ChunkEncoder();
    for (const csid of [64, 319, 320, 65599]) {
      const msg = { typeId: 9, streamId: 1, timestamp: 5, payload: Uint8Array.of(1, 2, 3) };
      const bytes = enc.encode(msg, csid);
      assert.equal(bytes[0] & 0x3f, csid < 320 ? 0 : 1);
      assert.deepEqual(new ChunkDecoder().push(bytes), [msg]);
    }
  });

  test('Set Chunk Size takes effect at the next chunk of the same push', () => {
    const enc = new ChunkEncoder();
    const scs = enc.encode({ typeId: 1, streamId: 0, timestamp: 0, payload: Uint8Array.of(0, 0, 0x10, 0) }, 2);
    enc.chunkSize = 4096;
    const big = { typeId: 9, streamId: 1, timestamp: 0, payload: new Uint8Array(5000).fill(7) };
    const both = new Uint8Array([...scs, ...enc.encode(big, 6)]);
    const msgs = new ChunkDecoder().push(both);
    assert.equal(msgs.length, 2);
    assert.deepEqual(msgs[1], big);
  });

  test('Abort Message discards the partial message of that chunk stream', () => {
    const enc = new ChunkEncoder();
    const msg = { typeId: 9, streamId: 1, timestamp: 0, payload: new Uint8Array(300).fill(1) };
    const partial = enc.encode(msg, 6).subarray(0, 12 + 128); // first chunk only
    const abort = enc.encode({ typeId: 2, streamId: 0, timestamp: 0, payload: Uint8Array.of(0, 0, 0, 6) }, 2);
    const next = enc.encode({ ...msg, payload: Uint8Array.of(9) }, 6);
    const msgs = new ChunkDecoder().push(new Uint8Array([...partial, ...abort, ...next]));
    assert.deepEqual(msgs.map(summary), [[2, 0, 0, 4], [9, 1, 0, 1]]);
  });

  test('zero-length messages complete at their header', () => {
    const enc = new ChunkEncoder();
    const msg = { typeId: 8, streamId: 1, timestamp: 3, payload: new Uint8Array(0) };
    assert.deepEqual(new ChunkDecoder().push(enc.encode(msg, 4)), [msg]);
  });
});

describe('ChunkDecoder: bounds are typed errors', () => {
  const enc = new ChunkEncoder();
  const cases: [string, Uint8Array, RegExp][] = [
    ['message length above maxMessageSize', Uint8Array.of(0x04, 0, 0, 0, 0x10, 0, 1, 9, 1, 0, 0, 0), /exceeds the limit/],
    ['Set Chunk Size 0x7FFFFFFF above maxChunkSize', enc.encode({ typeId: 1, streamId: 0, timestamp: 0, payload: Uint8Array.of(0x7f, 0xff, 0xff, 0xff) }, 2), /chunk size 2147483647 exceeds/],
    ['Set Chunk Size 0', enc.encode({ typeId: 1, streamId: 0, timestamp: 0, payload: Uint8Array.of(0, 0, 0, 0) }, 2), /invalid chunk size 0/],
    ['Set Chunk Size with bit 31 set', enc.encode({ typeId: 1, streamId: 0, timestamp: 0, payload: Uint8Array.of(0x80, 0, 0, 1) }, 2), /invalid chunk size/],
    ['fmt 3 on an unknown chunk stream', Uint8Array.of(0xc7, 1, 2, 3), /without a previous type 0/],
    ['fmt 0 while a message is incomplete', Uint8Array.of(0x04, 0, 0, 0, 0, 1, 0, 9, 1, 0, 0, 0, ...new Uint8Array(128), 0x04, ...new Uint8Array(11)), /incomplete/],
  ];
  for (const [name, bytes, re] of cases) {
    test(name, () => {
      const dec = new ChunkDecoder({ maxMessageSize: 1 << 20, maxChunkSize: 1 << 20 });
      assert.throws(() => dec.push(bytes), (e: unknown) => e instanceof RtmpChunkError && re.test(e.message));
    });
  }

  test('more chunk streams than maxChunkStreams', () => {
    const dec = new ChunkDecoder({ maxChunkStreams: 4 });
    const enc2 = new ChunkEncoder();
    const msg = { typeId: 8, streamId: 1, timestamp: 0, payload: Uint8Array.of(1) };
    for (let csid = 2; csid < 6; csid++) dec.push(enc2.encode(msg, csid));
    assert.throws(() => dec.push(enc2.encode(msg, 6)), RtmpChunkError);
  });

  test('more incomplete bytes than maxBufferedBytes', () => {
    const dec = new ChunkDecoder({ maxMessageSize: 1000, maxBufferedBytes: 1500 });
    const e = new ChunkEncoder();
    const msg = { typeId: 9, streamId: 1, timestamp: 0, payload: new Uint8Array(1000) };
    const parts = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((csid) => e.encode(msg, csid).subarray(0, 12 + 128));
    assert.throws(() => { for (const p of parts) dec.push(p); }, /incomplete messages/);
  });
});

const messageArb = fc.record({
  typeId: fc.integer({ min: 3, max: 22 }).filter((t) => t !== 1 && t !== 2),
  streamId: fc.integer({ min: 0, max: 0xffffffff }),
  timestamp: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0xfffff0, max: 0x1000010 })),
  payload: fc.uint8Array({ maxLength: 3000 }),
});

describe('ChunkEncoder ↔ ChunkDecoder', () => {
  test('round trip: any messages, chunk sizes, chunk stream ids and read boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(messageArb, fc.constantFrom(2, 3, 4, 63, 64, 319, 320, 65599)), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 9000 }),
        (list, chunkSize, step) => {
          const enc = new ChunkEncoder();
          const dec = new ChunkDecoder();
          const setSize = enc.encode({ typeId: 1, streamId: 0, timestamp: 0, payload: Uint8Array.of(chunkSize >>> 24, chunkSize >>> 16, chunkSize >>> 8, chunkSize) }, 2);
          enc.chunkSize = chunkSize;
          const encoded = list.map(([m, csid]) => {
            const out = enc.encode(m, csid);
            assert.equal(out.byteLength, enc.byteLength(m, csid));
            return out;
          });
          const all = new Uint8Array(encoded.reduce((n, b) => n + b.byteLength, setSize.byteLength));
          all.set(setSize);
          let o = setSize.byteLength;
          for (const b of encoded) {
            all.set(b, o);
            o += b.byteLength;
          }
          const got = decodeInSteps(all, step, dec).slice(1);
          assert.deepEqual(got.map((m) => ({ ...m, payload: Array.from(m.payload) })), list.map(([m]) => ({ ...m, payload: Array.from(m.payload) })));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('fuzz: random, truncated and mutated chunk streams only throw RtmpChunkError and stay bounded', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 5000 }),
          fc.tuple(fc.oneof(fc.constant(0), fc.nat()), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }))
            .map(([start, len, edits]) => {
              const s = start % ffmpegChunks.byteLength;
              const m = ffmpegChunks.slice(s, s + 1 + (len % 20000));
              for (const [at, v] of edits) m[at % m.byteLength] = v;
              return m;
            }),
        ),
        fc.integer({ min: 1, max: 3000 }),
        (input, step) => {
          const copy = input.slice();
          const dec = new ChunkDecoder({ maxMessageSize: 64 * 1024, maxChunkStreams: 8, maxBufferedBytes: 128 * 1024 });
          let bytesOut = 0;
          try {
            for (let i = 0; i < input.byteLength; i += step) {
              for (const m of dec.push(input.subarray(i, i + step))) bytesOut += m.payload.byteLength;
            }
          } catch (err) {
            assert.ok(err instanceof RtmpChunkError, String(err));
          }
          assert.ok(bytesOut <= input.byteLength, 'never produces more payload than it was given');
          assert.deepEqual(input, copy, 'input untouched');
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('ChunkDecoder limits raised after publish (pre-auth memory bound)', () => {
  const enc = new ChunkEncoder();
  test('a message above the pre-publish limit is refused; after setLimits it decodes; reset frees what is held', () => {
    const big = { typeId: 9, streamId: 1, timestamp: 0, payload: new Uint8Array(100_000).fill(7) };
    const small = new ChunkDecoder({ maxMessageSize: 64 * 1024, maxChunkSize: 64 * 1024 });
    assert.throws(() => small.push(enc.encode(big, 6)), /exceeds the limit of 65536/);
    const dec = new ChunkDecoder({ maxMessageSize: 64 * 1024, maxChunkSize: 64 * 1024 });
    dec.setLimits({ maxMessageSize: 1 << 20, maxChunkSize: 1 << 20 });
    const bytes = enc.encode(big, 6);
    const [msg] = dec.push(bytes);
    assert.equal(msg.payload.byteLength, 100_000);
    dec.push(bytes.subarray(0, 50_000));
    assert.ok(dec.bufferedBytes > 40_000);
    assert.throws(() => dec.setLimits({ maxMessageSize: 1024 }), RangeError);
    dec.reset();
    assert.equal(dec.bufferedBytes, 0);
  });
});
