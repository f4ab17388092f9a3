import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  DIGEST_SIZE, GENUINE_FMS_KEY, GENUINE_FMS_KEY_PUBLIC_LENGTH, GENUINE_FP_KEY, GENUINE_FP_KEY_PUBLIC_LENGTH,
  HANDSHAKE_SIZE, digestOffset, findDigest, imprintDigest, responseSignature,
} from './handshake-digest';
import { RtmpHandshakeError } from './handshake-error';
import { ServerHandshake } from './server-handshake';

const FIXTURES = join(__dirname, '../../../../../../libs/protocol/rtmp/fixtures');
const ffmpegPublish = new Uint8Array(readFileSync(join(FIXTURES, 'ffmpeg-5.1-publish.bin')));
const ffmpegC0C1 = ffmpegPublish.subarray(0, 1 + HANDSHAKE_SIZE);
const clientKey = GENUINE_FP_KEY.subarray(0, GENUINE_FP_KEY_PUBLIC_LENGTH);
const serverKey = GENUINE_FMS_KEY.subarray(0, GENUINE_FMS_KEY_PUBLIC_LENGTH);

/** Deterministic "random" so S1/S2 are reproducible. */
const counterRandom = (): ((out: Uint8Array) => void) => {
  let n = 0;
  return (out) => {
    for (let i = 0; i < out.byteLength; i++) out[i] = n++ & 0xff;
  };
};

/** A C0+C1 signed as a Flash Player would, in the given schema. */
function digestC0C1(schema: 0 | 1, seed: number): Uint8Array {
  const c0c1 = new Uint8Array(1 + HANDSHAKE_SIZE);
  c0c1[0] = 3;
  const c1 = c0c1.subarray(1);
  for (let i = 8; i < HANDSHAKE_SIZE; i++) c1[i] = (i * 31 + seed) & 0xff;
  c1.set([10, 0, 45, 2], 4);
  imprintDigest(c1, schema, clientKey);
  return c0c1;
}

function verifyDigestReply(c1: Uint8Array, reply: Uint8Array, schema: 0 | 1): void {
  assert.equal(reply.byteLength, 1 + 2 * HANDSHAKE_SIZE);
  assert.equal(reply[0], 3);
  const s1 = reply.subarray(1, 1 + HANDSHAKE_SIZE);
  const s2 = reply.subarray(1 + HANDSHAKE_SIZE);
  const server = findDigest(s1, serverKey);
  assert.ok(server, 'S1 carries a digest signed with the Genuine FMS key');
  assert.equal(server.schema, schema);
  const client = findDigest(c1, clientKey);
  assert.ok(client);
  // S2 = random(1504) | HMAC(HMAC(full FMS key, client digest), random) — what FFmpeg checks.
  const expected = responseSignature(s2, client.digest, GENUINE_FMS_KEY);
  assert.deepEqual(s2.subarray(HANDSHAKE_SIZE - DIGEST_SIZE), expected);
}

describe('ServerHandshake', () => {
  test('ffmpeg 5.1 C1 (version 9.0.124.2) is answered in the digest form, schema 0', () => {
    const hs = new ServerHandshake({ random: counterRandom() });
    const r = hs.feed(ffmpegC0C1);
    assert.equal(r.done, false);
    assert.ok(r.send);
    assert.equal(hs.mode, 'digest');
    assert.equal(hs.schema, 0);
    verifyDigestReply(ffmpegC0C1.subarray(1), r.send, 0);
  });

  test('ffmpeg C2 and the first chunk bytes: done, rest is the chunk stream', () => {
    const hs = new ServerHandshake();
    const r = hs.feed(ffmpegPublish);
    assert.equal(r.done, true);
    assert.ok(r.rest);
    assert.equal(r.rest.byteLength, ffmpegPublish.byteLength - 1 - 2 * HANDSHAKE_SIZE);
    assert.equal(r.rest[0], 0x03, 'connect arrives as fmt 0 on chunk stream 3');
  });

  test('digest C1 in schema 1 (OBS/librtmp layout) gets a schema 1 S1 and a valid S2', () => {
    const c0c1 = digestC0C1(1, 7);
    assert.equal(findDigest(c0c1.subarray(1), clientKey)?.schema, 1);
    const hs = new ServerHandshake();
    const r = hs.feed(c0c1);
    assert.equal(hs.schema, 1);
    assert.ok(r.send);
    verifyDigestReply(c0c1.subarray(1), r.send, 1);
  });

  test('digest offsets follow the spec: (sum of 4 bytes % 728) + 12 or + 776', () => {
    const p = new Uint8Array(HANDSHAKE_SIZE);
    p.set([200, 200, 200, 200], 8);
    p.set([1, 2, 3, 4], 772);
    assert.equal(digestOffset(p, 0), (800 % 728) + 12);
    assert.equal(digestOffset(p, 1), 10 + 776);
  });

  test('plain C1 (zero version): S2 echoes C1, S1 has time and zero fields', () => {
    const c0c1 = new Uint8Array(1 + HANDSHAKE_SIZE);
    c0c1[0] = 3;
    for (let i = 9; i < c0c1.byteLength; i++) c0c1[i] = i & 0xff;
    const hs = new ServerHandshake({ now: () => 1234 });
    const r = hs.feed(c0c1);
    assert.equal(hs.mode, 'plain');
    assert.ok(r.send);
    assert.deepEqual(r.send.subarray(1 + HANDSHAKE_SIZE), c0c1.subarray(1));
    assert.deepEqual([...r.send.subarray(1, 9)], [0, 0, 0x04, 0xd2, 0, 0, 0, 0]);
  });

  test('non-zero version without a valid digest falls back to the plain form', () => {
    const c0c1 = digestC0C1(0, 3);
    c0c1[100] ^= 0xff;
    c0c1[900] ^= 0xff;
    const hs = new ServerHandshake();
    const r = hs.feed(c0c1);
    assert.equal(hs.mode, 'plain');
    assert.deepEqual(r.send?.subarray(1 + HANDSHAKE_SIZE), c0c1.subarray(1));
  });

  test('a handshake fed one byte at a time needs more input, then completes with the same reply', () => {
    const whole = new ServerHandshake({ random: counterRandom() }).feed(ffmpegC0C1).send;
    const hs = new ServerHandshake({ random: counterRandom() });
    const input = ffmpegPublish.subarray(0, 1 + 2 * HANDSHAKE_SIZE + 5);
    let send: Uint8Array | undefined;
    let rest: Uint8Array | undefined;
    for (let i = 0; i < input.byteLength; i++) {
      if (hs.done) {
        rest = input.subarray(i);
        break;
      }
      const r = hs.feed(input.subarray(i, i + 1));
      if (r.send) send = r.send;
      if (r.done) rest = r.rest ?? input.subarray(i + 1);
    }
    assert.ok(hs.done);
    assert.deepEqual(send, whole);
    assert.equal(rest?.byteLength, 5);
  });

  test('bad version byte is an RtmpHandshakeError; RTMPE is named', () => {
    assert.throws(() => new ServerHandshake().feed(Uint8Array.of(0x47, 0x45, 0x54)), RtmpHandshakeError);
    assert.throws(() => new ServerHandshake().feed(Uint8Array.of(6)), /RTMPE/);
  });

  test('the input is never mutated', () => {
    const copy = ffmpegPublish.slice();
    new ServerHandshake().feed(ffmpegPublish);
    assert.deepEqual(ffmpegPublish, copy);
  });

  test('fuzz: random and mutated input only ever yields need-more, done, or RtmpHandshakeError', () => {
    const seeds = [ffmpegPublish.subarray(0, 3100), digestC0C1(1, 1)];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 4000 }),
          fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat())
            .map(([s, edits, cut]) => {
              const m = s.slice(0, 1 + (cut % s.byteLength));
              for (const [at, v] of edits) m[at % m.byteLength] = v;
              return m;
            }),
        ),
        fc.integer({ min: 1, max: 4000 }),
        (input, step) => {
          const hs = new ServerHandshake();
          try {
            for (let i = 0; i < input.byteLength && !hs.done; i += step) hs.feed(input.subarray(i, i + step));
          } catch (err) {
            assert.ok(err instanceof RtmpHandshakeError, String(err));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
