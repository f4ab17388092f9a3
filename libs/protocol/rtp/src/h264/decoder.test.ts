import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseRtpPacket, RtpPacket, RtpParseError } from '../packet/rtp-packet';
import { Sequencer } from '../sequencer';
import { applyDamage, damageArbitrary, hexToBytes, PacketFixture } from '@streamgate/protocol-rtp/testing';
import { H264AccessUnit, H264Decoder } from './decoder';
import { H264Encoder } from './encoder';
import { H264DecodeError } from './errors';
import { h264IsKeyframe, h264NalType } from '@streamgate/codec';

// dist/libs/protocol/rtp/src/h264 → repository root
const FIXTURES = join(__dirname, '../../../../../../libs/protocol/rtp/fixtures');
const loadPackets = (name: string): Uint8Array[] =>
  (JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as PacketFixture).packets.map(hexToBytes);

function decodeAll(decoder: H264Decoder, packets: readonly RtpPacket[]): H264AccessUnit[] {
  const out: H264AccessUnit[] = [];
  for (const p of packets) {
    const r = decoder.decode(p);
    if (r.kind === 'complete') out.push(...r.units);
  }
  return out;
}

interface RoundTripCase {
  name: string;
  fixture: string;
  accessUnits: number;
  /** NAL types of the first access unit, in order. */
  firstTypes: number[];
  encoder: { maxPayloadSize: number; aggregate: boolean };
  /** ffmpeg 5.1 writes NRI 0 in the STAP-A header; RFC 6184 §5.7.1 wants the maximum. */
  stapNriDiffers?: boolean;
}

const roundTrip: RoundTripCase[] = [
  {
    name: 'ffmpeg libx264 -bf 2 (STAP-A SPS/PPS, FU-A SEI and IDR)',
    fixture: 'h264-ffmpeg-fua.json', accessUnits: 6, firstTypes: [7, 8, 6, 5],
    encoder: { maxPayloadSize: 288, aggregate: true }, stapNriDiffers: true,
  },
  {
    name: 'GStreamer rtph264pay aggregate-mode=zero-latency, sequence wrap',
    fixture: 'h264-gst-stapa.json', accessUnits: 4, firstTypes: [6, 7, 8, 5],
    encoder: { maxPayloadSize: 388, aggregate: true },
  },
];

describe('H264Decoder / H264Encoder with real packets', () => {
  for (const c of roundTrip) {
    test(`decode: ${c.name}`, () => {
      const packets = loadPackets(c.fixture).map(parseRtpPacket);
      const aus = decodeAll(new H264Decoder(), packets);
      assert.equal(aus.length, c.accessUnits);
      assert.deepEqual(aus[0].nalus.map(h264NalType), c.firstTypes);
      assert.ok(h264IsKeyframe(aus[0].nalus));
      const tsOfMarked = packets.filter((p) => p.header.marker).map((p) => p.header.timestamp);
      assert.deepEqual(aus.map((a) => a.timestamp), tsOfMarked);
    });

    test(`round trip: ${c.name}`, () => {
      const original = loadPackets(c.fixture).map(parseRtpPacket);
      const aus = decodeAll(new H264Decoder(), original);
      const seq = original[0].header.sequenceNumber;
      const encoder = new H264Encoder({ ...c.encoder, sequencer: new Sequencer({ ssrc: original[0].header.ssrc, initialSequenceNumber: seq }) });
      const encoded = aus.flatMap((au) => encoder.encode(au.nalus, au.timestamp));
      assert.equal(encoded.length, original.length);
      encoded.forEach((p, i) => {
        const o = original[i];
        assert.deepEqual({ ...p.header, csrc: [] }, { ...o.header, csrc: [] }, `packet ${i} header`);
        const skip = c.stapNriDiffers && (o.payload[0] & 0x1f) === 24 ? 1 : 0;
        assert.deepEqual(p.payload.subarray(skip), o.payload.subarray(skip), `packet ${i} payload`);
      });
      const again = decodeAll(new H264Decoder(), encoded);
      assert.deepEqual(again, aus);
    });
  }
});

describe('H264Decoder edge cases', () => {
  const pkt = (seq: number, ts: number, marker: boolean, payload: number[]): RtpPacket => ({
    header: { marker, payloadType: 96, sequenceNumber: seq, timestamp: ts, ssrc: 1, csrc: [], padding: false },
    payload: new Uint8Array(payload),
  });

  test('FU-A with both start and end bit set (seen from Hikvision cameras)', () => {
    const r = new H264Decoder().decode(pkt(1, 0, true, [0x7c, 0xc5, 0xaa, 0xbb]));
    assert.equal(r.kind, 'complete');
    assert.deepEqual(r.kind === 'complete' ? [...r.units[0].nalus[0]] : [], [0x65, 0xaa, 0xbb]);
  });

  test('a lost FU-A fragment drops that NAL unit only', () => {
    const d = new H264Decoder();
    d.decode(pkt(1, 0, false, [0x67, 1, 2, 3]));
    d.decode(pkt(2, 0, false, [0x7c, 0x85, 1]));
    // seq 3 (middle) lost
    const r = d.decode(pkt(4, 0, true, [0x7c, 0x45, 3]));
    assert.equal(r.kind, 'complete');
    assert.deepEqual(r.kind === 'complete' ? r.units[0].nalus.map(h264NalType) : [], [7]);
    assert.equal(d.stats.lostPackets, 1);
    assert.equal(d.stats.droppedUnits, 1);
  });

  test('a timestamp change without marker ends the access unit', () => {
    const d = new H264Decoder();
    assert.equal(d.decode(pkt(1, 0, false, [0x41, 1])).kind, 'need-more-packets');
    const r = d.decode(pkt(2, 3000, false, [0x41, 2]));
    assert.deepEqual(r.kind === 'complete' ? r.units.map((u) => u.timestamp) : [], [0]);
  });

  test('duplicate and late packets are ignored', () => {
    const d = new H264Decoder();
    d.decode(pkt(10, 0, true, [0x41, 1]));
    assert.equal(d.decode(pkt(10, 0, true, [0x41, 1])).kind, 'need-more-packets');
    assert.equal(d.decode(pkt(9, 0, true, [0x41, 1])).kind, 'need-more-packets');
    assert.equal(d.stats.ignoredPackets, 2);
  });

  test('limits: too many NAL units drop the access unit whole', () => {
    const d = new H264Decoder({ maxNalusPerAccessUnit: 2 });
    for (let i = 0; i < 5; i++) d.decode(pkt(i, 0, false, [0x41, i]));
    assert.equal(d.decode(pkt(5, 0, true, [0x41, 5])).kind, 'need-more-packets');
    assert.equal(d.bufferedBytes, 0);
    assert.equal(d.decode(pkt(6, 90, true, [0x41, 6])).kind, 'complete');
  });

  const malformed: Array<[string, number[]]> = [
    ['empty payload', []],
    ['forbidden bit', [0xe5, 1]],
    ['STAP-A overrun', [0x18, 0x00, 0x09, 0x67]],
    ['STAP-A without NAL units', [0x18]],
    ['FU-A without data', [0x7c, 0x85]],
    ['FU-B (interleaved mode)', [0x1d, 0x85, 0, 0, 1]],
    ['reserved type 30', [0x1e, 1]],
  ];
  for (const [name, payload] of malformed) {
    test(`rejects ${name} with H264DecodeError`, () => assert.throws(() => new H264Decoder().decode(pkt(1, 0, true, payload)), H264DecodeError));
  }

  test('never mutates its input', () => {
    const packets = loadPackets('h264-ffmpeg-fua.json');
    const copies = packets.map((p) => p.slice());
    decodeAll(new H264Decoder(), packets.map(parseRtpPacket));
    assert.deepEqual(packets, copies);
  });
});

describe('H264Decoder properties (seeded from the captured tables)', () => {
  const tables = [loadPackets('h264-ffmpeg-fua.json'), loadPackets('h264-gst-stapa.json')];
  test('damaged streams: only typed errors, bounded buffering, limits respected', () => {
    const limits = { maxNaluSize: 3000, maxNalusPerAccessUnit: 6, maxAccessUnitSize: 5000 };
    fc.assert(fc.property(fc.nat({ max: tables.length - 1 }), damageArbitrary(), (t, damage) => {
      const d = new H264Decoder(limits);
      for (const bytes of applyDamage(tables[t], damage)) {
        try {
          const r = d.decode(parseRtpPacket(bytes));
          if (r.kind === 'complete') {
            for (const au of r.units) {
              assert.ok(au.nalus.length <= limits.maxNalusPerAccessUnit);
              for (const n of au.nalus) assert.ok(n.byteLength > 0 && n.byteLength <= limits.maxNaluSize);
            }
          }
        } catch (err) {
          if (!(err instanceof H264DecodeError || err instanceof RtpParseError)) throw err;
        }
        assert.ok(d.bufferedBytes <= limits.maxAccessUnitSize + limits.maxNaluSize);
      }
    }), { seed: 6184, numRuns: 500 });
  });

  test('random payloads never throw anything but H264DecodeError', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 30 }), (payloads) => {
      const d = new H264Decoder();
      payloads.forEach((payload, i) => {
        try {
          d.decode({ header: { marker: i % 3 === 0, payloadType: 96, sequenceNumber: i, timestamp: i >> 2, ssrc: 1, csrc: [], padding: false }, payload });
        } catch (err) {
          if (!(err instanceof H264DecodeError)) throw err;
        }
      });
    }), { seed: 1, numRuns: 1000 });
  });
});
