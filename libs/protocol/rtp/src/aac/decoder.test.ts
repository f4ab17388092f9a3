import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseRtpPacket, RtpPacket, RtpParseError } from '../packet/rtp-packet';
import { Sequencer } from '../sequencer';
import { timestampDiff } from '../sequence';
import { applyDamage, damageArbitrary, hexToBytes, PacketFixture } from '@streamgate/protocol-rtp/testing';
import { AacAccessUnit, AacDecoder } from './decoder';
import { AacEncoder } from './encoder';
import { AacDecodeError } from './errors';
import { AudioSpecificConfigError, parseAudioSpecificConfig } from '@streamgate/codec';

const FIXTURES = join(__dirname, '../../../../../../libs/protocol/rtp/fixtures');
const loadPackets = (name: string): Uint8Array[] =>
  (JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as PacketFixture).packets.map(hexToBytes);

function decodeAll(decoder: AacDecoder, packets: readonly RtpPacket[]): AacAccessUnit[] {
  const out: AacAccessUnit[] = [];
  for (const p of packets) {
    const r = decoder.decode(p);
    if (r.kind === 'complete') out.push(...r.units);
  }
  return out;
}

const roundTrip = [
  { name: 'ffmpeg aac -max_delay 100000 (several AUs per packet)', fixture: 'aac-ffmpeg-aggregated.json', aus: 10, maxPayloadSize: 1460, samePackets: false },
  { name: 'ffmpeg aac 320k -pkt_size 200 (fragmented AUs)', fixture: 'aac-ffmpeg-fragmented.json', aus: 6, maxPayloadSize: 188, samePackets: true },
  { name: 'GStreamer rtpmp4gpay (one AU per packet)', fixture: 'aac-gst-mp4gpay.json', aus: 7, maxPayloadSize: 1388, samePackets: false },
];

describe('AacDecoder / AacEncoder with real packets', () => {
  for (const c of roundTrip) {
    test(`round trip: ${c.name}`, () => {
      const original = loadPackets(c.fixture).map(parseRtpPacket);
      const aus = decodeAll(new AacDecoder(), original);
      assert.equal(aus.length, c.aus);
      const h = original[0].header;
      const encoder = new AacEncoder({ maxPayloadSize: c.maxPayloadSize, sequencer: new Sequencer({ ssrc: h.ssrc, initialSequenceNumber: h.sequenceNumber }) });
      const encoded = aus.flatMap((au) => encoder.encode([au.data], au.timestamp));
      if (c.samePackets) {
        assert.equal(encoded.length, original.length);
        encoded.forEach((p, i) => {
          assert.deepEqual(p.header, { ...original[i].header, csrc: [] }, `packet ${i} header`);
          assert.deepEqual(p.payload, original[i].payload, `packet ${i} payload`);
        });
      }
      assert.deepEqual(decodeAll(new AacDecoder(), encoded), aus);
      // Aggregating again gives the same AUs and timestamps.
      const aggregated = new AacEncoder({ sequencer: new Sequencer({ ssrc: 1, initialSequenceNumber: 0 }) }).encode(aus.map((a) => a.data), aus[0].timestamp);
      const back = decodeAll(new AacDecoder(), aggregated);
      assert.deepEqual(back.map((a) => [...a.data]), aus.map((a) => [...a.data]));
    });
  }

  test('ffmpeg aggregated AUs are 1024 ticks apart', () => {
    const aus = decodeAll(new AacDecoder(), loadPackets('aac-ffmpeg-aggregated.json').map(parseRtpPacket));
    for (let i = 1; i < aus.length; i++) assert.equal(timestampDiff(aus[i - 1].timestamp, aus[i].timestamp), 1024);
  });

  test('GStreamer rtpmp4gpay timestamps jitter 1023/1025 (decode as sent)', () => {
    const aus = decodeAll(new AacDecoder(), loadPackets('aac-gst-mp4gpay.json').map(parseRtpPacket));
    const steps = aus.slice(1).map((a, i) => timestampDiff(aus[i].timestamp, a.timestamp));
    assert.ok(steps.every((s) => Math.abs(s - 1024) <= 1), String(steps));
  });
});

describe('AacDecoder edge cases', () => {
  const pkt = (seq: number, ts: number, marker: boolean, payload: number[]): RtpPacket => ({
    header: { marker, payloadType: 97, sequenceNumber: seq, timestamp: ts, ssrc: 1, csrc: [], padding: false },
    payload: new Uint8Array(payload),
  });
  test('a lost fragment drops the AU; the next one decodes', () => {
    const d = new AacDecoder();
    d.decode(pkt(1, 0, false, [0, 16, 0, 4 << 3, 1, 2]));
    assert.equal(d.decode(pkt(3, 0, true, [0, 16, 0, 4 << 3, 3, 4])).kind, 'need-more-packets');
    const r = d.decode(pkt(4, 1024, true, [0, 16, 0, 2 << 3, 9, 9]));
    assert.deepEqual(r.kind === 'complete' ? [...r.units[0].data] : [], [9, 9]);
    assert.equal(d.stats.lostPackets, 1);
  });
  const malformed: Array<[string, number[]]> = [
    ['1-byte payload', [0]],
    ['no AU headers', [0, 0, 1]],
    ['headers past the end', [0, 64, 0, 8]],
    ['AUs larger than the data', [0, 32, 0, 8, 0, 8, 1]],
  ];
  for (const [name, payload] of malformed) {
    test(`rejects ${name} with AacDecodeError`, () => assert.throws(() => new AacDecoder().decode(pkt(1, 0, true, payload)), AacDecodeError));
  }
  test('damaged streams: only typed errors, bounded buffering', () => {
    const tables = ['aac-ffmpeg-aggregated.json', 'aac-ffmpeg-fragmented.json', 'aac-gst-mp4gpay.json'].map(loadPackets);
    fc.assert(fc.property(fc.nat({ max: 2 }), damageArbitrary(), (t, damage) => {
      const d = new AacDecoder({ maxAuSize: 2000 });
      for (const bytes of applyDamage(tables[t], damage)) {
        try {
          d.decode(parseRtpPacket(bytes));
        } catch (err) {
          if (!(err instanceof AacDecodeError || err instanceof RtpParseError)) throw err;
        }
        assert.ok(d.bufferedBytes <= 2000);
      }
    }), { seed: 3640, numRuns: 400 });
  });
});

describe('parseAudioSpecificConfig', () => {
  const table: Array<[string, string, number, number, number]> = [
    ['LC 44100 mono (ffmpeg SDP config=1208)', '1208', 2, 44100, 1],
    ['LC 48000 stereo (config=1190)', '1190', 2, 48000, 2],
    ['HE-AAC explicit SBR 24000→48000 stereo', '2b118800', 5, 24000, 2],
  ];
  for (const [name, hex, type, rate, channels] of table) {
    test(name, () => {
      const asc = parseAudioSpecificConfig(hexToBytes(hex));
      assert.deepEqual([asc.objectType, asc.sampleRate, asc.channels, asc.samplesPerFrame], [type, rate, channels, 1024]);
    });
  }
  test('bad sampling index is a typed error', () => assert.throws(() => parseAudioSpecificConfig(hexToBytes('1680')), AudioSpecificConfigError));
});
