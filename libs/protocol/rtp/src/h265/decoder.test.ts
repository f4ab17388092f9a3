import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseRtpPacket, RtpPacket, RtpParseError } from '../packet/rtp-packet';
import { Sequencer } from '../sequencer';
import { applyDamage, damageArbitrary, hexToBytes, PacketFixture } from '@streamgate/protocol-rtp/testing';
import { H265AccessUnit, H265Decoder } from './decoder';
import { H265Encoder } from './encoder';
import { H265DecodeError } from './errors';
import { h265IsKeyframe, h265NalType } from '@streamgate/codec';

const FIXTURES = join(__dirname, '../../../../../../libs/protocol/rtp/fixtures');
const loadPackets = (name: string): Uint8Array[] =>
  (JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as PacketFixture).packets.map(hexToBytes);

function decodeAll(decoder: H265Decoder, packets: readonly RtpPacket[]): H265AccessUnit[] {
  const out: H265AccessUnit[] = [];
  for (const p of packets) {
    const r = decoder.decode(p);
    if (r.kind === 'complete') out.push(...r.units);
  }
  return out;
}

const roundTrip = [
  { name: 'ffmpeg libx265 bframes=2 (AP VPS/SPS/PPS, FU SEI and IDR)', fixture: 'h265-ffmpeg-fu.json', accessUnits: 6, firstTypes: [32, 33, 34, 39, 20], encoder: { maxPayloadSize: 288, aggregate: true } },
  { name: 'GStreamer rtph265pay aggregate-mode=zero-latency', fixture: 'h265-gst-ap.json', accessUnits: 4, firstTypes: [32, 33, 34, 20], encoder: { maxPayloadSize: 388, aggregate: true } },
];

describe('H265Decoder / H265Encoder with real packets', () => {
  for (const c of roundTrip) {
    test(`round trip: ${c.name}`, () => {
      const original = loadPackets(c.fixture).map(parseRtpPacket);
      const aus = decodeAll(new H265Decoder(), original);
      assert.equal(aus.length, c.accessUnits);
      assert.deepEqual(aus[0].nalus.map(h265NalType), c.firstTypes);
      assert.ok(h265IsKeyframe(aus[0].nalus));
      const h = original[0].header;
      const encoder = new H265Encoder({ ...c.encoder, sequencer: new Sequencer({ ssrc: h.ssrc, initialSequenceNumber: h.sequenceNumber }) });
      const encoded = aus.flatMap((au) => encoder.encode(au.nalus, au.timestamp));
      assert.equal(encoded.length, original.length);
      encoded.forEach((p, i) => {
        assert.deepEqual(p.header, { ...original[i].header, csrc: [] }, `packet ${i} header`);
        assert.deepEqual(p.payload, original[i].payload, `packet ${i} payload`);
      });
      assert.deepEqual(decodeAll(new H265Decoder(), encoded), aus);
    });
  }
});

describe('H265Decoder edge cases', () => {
  const pkt = (seq: number, marker: boolean, payload: number[]): RtpPacket => ({
    header: { marker, payloadType: 96, sequenceNumber: seq, timestamp: 0, ssrc: 1, csrc: [], padding: false },
    payload: new Uint8Array(payload),
  });
  test('FU with both start and end bit set', () => {
    const r = new H265Decoder().decode(pkt(1, true, [0x62, 0x01, 0xd3, 0xaa]));
    assert.deepEqual(r.kind === 'complete' ? [...r.units[0].nalus[0]] : [], [0x26, 0x01, 0xaa]);
  });
  const malformed: Array<[string, number[]]> = [
    ['2-byte payload', [0x40, 0x01]],
    ['AP overrun', [0x60, 0x01, 0x00, 0x09, 0x40]],
    ['FU of an FU', [0x62, 0x01, 0xb1, 0]],
    ['PACI', [0x64, 0x01, 0, 0]],
  ];
  for (const [name, payload] of malformed) {
    test(`rejects ${name} with H265DecodeError`, () => assert.throws(() => new H265Decoder().decode(pkt(1, true, payload)), H265DecodeError));
  }
  test('never mutates its input', () => {
    const packets = loadPackets('h265-ffmpeg-fu.json');
    const copies = packets.map((p) => p.slice());
    decodeAll(new H265Decoder(), packets.map(parseRtpPacket));
    assert.deepEqual(packets, copies);
  });
  test('damaged streams: only typed errors, bounded buffering', () => {
    const tables = [loadPackets('h265-ffmpeg-fu.json'), loadPackets('h265-gst-ap.json')];
    const limits = { maxNaluSize: 3000, maxNalusPerAccessUnit: 6, maxAccessUnitSize: 5000 };
    fc.assert(fc.property(fc.nat({ max: 1 }), damageArbitrary(), (t, damage) => {
      const d = new H265Decoder(limits);
      for (const bytes of applyDamage(tables[t], damage)) {
        try {
          d.decode(parseRtpPacket(bytes));
        } catch (err) {
          if (!(err instanceof H265DecodeError || err instanceof RtpParseError)) throw err;
        }
        assert.ok(d.bufferedBytes <= limits.maxAccessUnitSize + limits.maxNaluSize);
      }
    }), { seed: 7798, numRuns: 400 });
  });
});
