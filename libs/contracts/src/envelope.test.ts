import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ACCESS_UNIT_HEADROOM, AccessUnitMessage, CodecUnitMessage, EnvelopeError, MAX_CODEC_UNIT_PAYLOADS, MAX_ENVELOPE_PACKET_SIZE, MAX_ENVELOPE_PACKETS,
  MediaMessage, decodeEnvelope, decodeEnvelopeList, encodeEnvelope, encodeEnvelopeList, envelopeByteLength, joinEnvelopeList, sealAccessUnitEnvelope,
} from './envelope';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

const table: { name: string; msg: MediaMessage; hex: string }[] = [
  {
    name: 'codec unit of an RTMP source: SPS + IDR slice, keyframe, 90 kHz timestamp',
    msg: { kind: 'codec-unit', track: 0, keyframe: true, timestamp: 90000, receivedAt: 1_700_000_000_000, payloads: [bytes(0x67, 0x42), bytes(0x65, 0x88, 0x84)] },
    hex: '0105000100015f90' + '4278bcfe56800000' + '0002' + '000000026742' + '00000003658884',
  },
  {
    name: 'codec unit of one AAC frame on track 1',
    msg: { kind: 'codec-unit', track: 1, keyframe: false, timestamp: 0xffffffff, receivedAt: 0, payloads: [bytes(0x21, 0x10)] },
    hex: '01050100ffffffff' + '0000000000000000' + '0001' + '000000022110',
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
    msg: { kind: 'rtp-batch', track: 1, rtcp: true, newSource: false, receivedAt: 0, packets: [bytes(0x81, 0xc8)] },
    hex: '0102010100000001' + '0000000000000000' + '00028 1c8'.replace(/ /g, ''),
  },
  {
    name: 'RTP batch on track 0 beginning a new source (flags bit 1)',
    msg: { kind: 'rtp-batch', track: 0, rtcp: false, newSource: true, receivedAt: 0, packets: [bytes(0x80, 0x60)] },
    hex: '0102000200000001' + '0000000000000000' + '00028060',
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
    const encoded = encodeEnvelope(table[2].msg);
    const au = decodeEnvelope(encoded) as AccessUnitMessage;
    assert.equal(au.packets[0].buffer, encoded.buffer);
  });

  test('sealing RFC 4571-framed packets after the headroom gives the encoded envelope, in place', () => {
    const au = table.find((r) => r.msg.kind === 'access-unit')?.msg as AccessUnitMessage;
    const body = [...au.packets].flatMap((p) => [p.byteLength >> 8, p.byteLength & 0xff, ...p]);
    const framed = Uint8Array.from([...new Array<number>(ACCESS_UNIT_HEADROOM).fill(0xee), ...body]);
    const sealed = sealAccessUnitEnvelope(framed, au.packets.length, au);
    assert.equal(sealed, framed, 'no copy');
    assert.deepEqual(sealed, encodeEnvelope(au));
    assert.throws(() => sealAccessUnitEnvelope(new Uint8Array(ACCESS_UNIT_HEADROOM - 1), 0, au), EnvelopeError);
  });

  test('envelope list round trip', () => {
    const list = encodeEnvelopeList(table.map((r) => r.msg));
    assert.deepEqual(decodeEnvelopeList(list).map(normalize), table.map((r) => normalize(r.msg)));
    assert.deepEqual(joinEnvelopeList(table.map((r) => encodeEnvelope(r.msg))), list, 'joining encoded envelopes gives the same bytes');
    assert.deepEqual(joinEnvelopeList([]), new Uint8Array(0));
  });

  test('refuses unknown versions, kinds and truncation with EnvelopeError', () => {
    const good = encodeEnvelope(table[2].msg);
    const badVersion = Uint8Array.from(good);
    badVersion[0] = 9;
    assert.throws(() => decodeEnvelope(badVersion), EnvelopeError);
    const badKind = Uint8Array.from(good);
    badKind[1] = 77;
    assert.throws(() => decodeEnvelope(badKind), EnvelopeError);
    for (let cut = 0; cut < good.length; cut++) assert.throws(() => decodeEnvelope(good.subarray(0, cut)), EnvelopeError);
    const unit = encodeEnvelope(table[0].msg);
    for (let cut = 0; cut < unit.length; cut++) assert.throws(() => decodeEnvelope(unit.subarray(0, cut)), EnvelopeError, `codec unit cut at ${cut}`);
    assert.throws(() => decodeEnvelope(Uint8Array.from([...unit, 0])), EnvelopeError, 'trailing byte');
  });

  test('limits: payloads per codec unit, packets per envelope and bytes per packet (at the limit it encodes, one over it is EnvelopeError)', () => {
    const unit = (n: number): CodecUnitMessage => ({ kind: 'codec-unit', track: 0, keyframe: false, timestamp: 0, receivedAt: 0, payloads: new Array<Uint8Array>(n).fill(bytes(1)) });
    assert.equal((decodeEnvelope(encodeEnvelope(unit(MAX_CODEC_UNIT_PAYLOADS))) as CodecUnitMessage).payloads.length, MAX_CODEC_UNIT_PAYLOADS);
    assert.throws(() => encodeEnvelope(unit(MAX_CODEC_UNIT_PAYLOADS + 1)), EnvelopeError);
    const batch = (packets: Uint8Array[]): MediaMessage => ({ kind: 'rtp-batch', track: 0, rtcp: false, newSource: false, receivedAt: 0, packets });
    const au = (packets: Uint8Array[]): MediaMessage => ({ kind: 'access-unit', track: 0, keyframe: false, rtpTimestamp: 0, receivedAt: 0, packets });
    for (const make of [batch, au]) {
      assert.equal((decodeEnvelope(encodeEnvelope(make(new Array<Uint8Array>(MAX_ENVELOPE_PACKETS).fill(bytes(0x80))))) as AccessUnitMessage).packets.length, MAX_ENVELOPE_PACKETS);
      assert.throws(() => encodeEnvelope(make(new Array<Uint8Array>(MAX_ENVELOPE_PACKETS + 1).fill(bytes(0x80)))), EnvelopeError);
      assert.equal((decodeEnvelope(encodeEnvelope(make([new Uint8Array(MAX_ENVELOPE_PACKET_SIZE)]))) as AccessUnitMessage).packets[0].byteLength, MAX_ENVELOPE_PACKET_SIZE);
      assert.throws(() => encodeEnvelope(make([new Uint8Array(MAX_ENVELOPE_PACKET_SIZE + 1)])), EnvelopeError);
    }
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
