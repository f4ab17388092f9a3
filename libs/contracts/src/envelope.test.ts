import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AccessUnitMessage, EnvelopeError, MediaMessage, decodeEnvelope, decodeEnvelopeList, encodeEnvelope,
  encodeEnvelopeList, envelopeByteLength,
} from './envelope';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

const table: { name: string; msg: MediaMessage; hex: string }[] = [
  {
    name: 'FLV AVC sequence header tag',
    msg: { kind: 'flv-tag', tagType: 9, timestamp: 0, receivedAt: 1_700_000_000_000, data: bytes(0x17, 0x00, 0, 0, 0) },
    hex: '0101090000000000' + '4278bcfe56800000' + '1700000000',
  },
  {
    name: 'access unit with two RTP packets, keyframe',
    msg: {
      kind: 'access-unit', track: 0, keyframe: true, rtpTimestamp: 0xfffffff0, receivedAt: 1.5,
      packets: [bytes(0x80, 0x60, 0, 1), bytes(0x80, 0xe0, 0, 2)],
    },
    hex: '01030001fffffff0' + '3ff8000000000000' + '0002' + '000480600001' + '000480e00002',
  },
  {
    name: 'RTCP batch on track 1',
    msg: { kind: 'rtp-batch', track: 1, rtcp: true, receivedAt: 0, packets: [bytes(0x81, 0xc8)] },
    hex: '0102010100000001' + '0000000000000000' + '00028 1c8'.replace(/ /g, ''),
  },
  {
    name: 'H.264 frame',
    msg: { kind: 'frame', codec: 'h264', keyframe: false, receivedAt: 2, data: bytes(0, 0, 0, 1, 0x41) },
    hex: '0104010000000000' + '4000000000000000' + '0000000141',
  },
];

describe('media envelope', () => {
  for (const row of table) {
    test(`round trip: ${row.name}`, () => {
      const encoded = encodeEnvelope(row.msg);
      assert.equal(Buffer.from(encoded).toString('hex'), row.hex);
      assert.equal(encoded.byteLength, envelopeByteLength(row.msg));
      const decoded = decodeEnvelope(encoded);
      assert.deepEqual(normalize(decoded), normalize(row.msg));
    });
  }

  test('decoded byte fields are views into the input (no copy)', () => {
    const encoded = encodeEnvelope(table[1].msg);
    const au = decodeEnvelope(encoded) as AccessUnitMessage;
    assert.equal(au.packets[0].buffer, encoded.buffer);
  });

  test('envelope list round trip', () => {
    const list = encodeEnvelopeList(table.map((r) => r.msg));
    assert.deepEqual(decodeEnvelopeList(list).map(normalize), table.map((r) => normalize(r.msg)));
  });

  test('refuses unknown versions, kinds and truncation with EnvelopeError', () => {
    const good = encodeEnvelope(table[1].msg);
    const badVersion = Uint8Array.from(good);
    badVersion[0] = 9;
    assert.throws(() => decodeEnvelope(badVersion), EnvelopeError);
    const badKind = Uint8Array.from(good);
    badKind[1] = 77;
    assert.throws(() => decodeEnvelope(badKind), EnvelopeError);
    for (let cut = 0; cut < good.length; cut++) assert.throws(() => decodeEnvelope(good.subarray(0, cut)), EnvelopeError);
  });

  test('fuzz: random and mutated input only ever throws EnvelopeError and never mutates input', () => {
    const seeds = table.map((r) => encodeEnvelope(r.msg));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([s, i, v]) => {
            const m = Uint8Array.from(s);
            m[i % m.length] = v;
            return m;
          }),
        ),
        (input) => {
          const copy = Uint8Array.from(input);
          try {
            decodeEnvelope(input);
            decodeEnvelopeList(input);
          } catch (err) {
            assert.ok(err instanceof EnvelopeError, String(err));
          }
          assert.deepEqual(input, copy);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

function normalize(m: MediaMessage): unknown {
  return JSON.parse(JSON.stringify(m, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));
}
