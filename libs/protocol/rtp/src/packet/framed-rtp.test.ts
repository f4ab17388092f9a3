import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hexToBytes, PacketFixture } from '@streamgate/protocol-rtp/testing';
import { parseRtpPacket, RtpPacket, RtpWriteError, serializeRtpPacket } from './rtp-packet';
import { ByteAllocator, FramedRtpWriter, MAX_FRAMED_PACKET_SIZE } from './framed-rtp';
import { BufferSlab } from './buffer-slab';
import { Sequencer } from '../sequencer';
import { H264Decoder } from '../h264/decoder';
import { H264Encoder } from '../h264/encoder';
import { H265Decoder } from '../h265/decoder';
import { H265Encoder } from '../h265/encoder';
import { AacDecoder } from '../aac/decoder';
import { AacEncoder } from '../aac/encoder';

// dist/libs/protocol/rtp/src/packet → repository root
const FIXTURES = join(__dirname, '../../../../../../libs/protocol/rtp/fixtures');
const loadPackets = (name: string): RtpPacket[] =>
  (JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as PacketFixture).packets.map(hexToBytes).map(parseRtpPacket);

/** Splits an RFC 4571-framed buffer after `headroom` bytes into its packets (copies). */
function unframe(buf: Uint8Array, headroom: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = headroom;
  while (pos < buf.byteLength) {
    const len = (buf[pos] << 8) | buf[pos + 1];
    out.push(buf.slice(pos + 2, pos + 2 + len));
    pos += 2 + len;
  }
  assert.equal(pos, buf.byteLength, 'framing ends at the end of the buffer');
  return out;
}

interface Unit {
  payloads: Uint8Array[];
  timestamp: number;
}

interface Case {
  name: string;
  fixture: string;
  units: (packets: RtpPacket[]) => Unit[];
  encoder: (seq: Sequencer, allocate?: ByteAllocator) => {
    encode(p: readonly Uint8Array[], ts: number): RtpPacket[];
    encodeFramed(p: readonly Uint8Array[], ts: number, headroom?: number): { buffer: Uint8Array; packets: Uint8Array[] };
  };
}

function nalUnits(decoder: H264Decoder | H265Decoder, packets: RtpPacket[]): Unit[] {
  const out: Unit[] = [];
  for (const p of packets) {
    const r = decoder.decode(p);
    if (r.kind === 'complete') for (const u of r.units) out.push({ payloads: u.nalus, timestamp: u.timestamp });
  }
  return out;
}

function aacUnits(packets: RtpPacket[]): Array<{ data: Uint8Array; timestamp: number }> {
  const d = new AacDecoder();
  const out: Array<{ data: Uint8Array; timestamp: number }> = [];
  for (const p of packets) {
    const r = d.decode(p);
    if (r.kind === 'complete') out.push(...r.units);
  }
  return out;
}

const cases: Case[] = [
  { name: 'H.264 FU-A and STAP-A (ffmpeg)', fixture: 'h264-ffmpeg-fua.json', units: (p) => nalUnits(new H264Decoder(), p), encoder: (sequencer, allocate) => new H264Encoder({ sequencer, maxPayloadSize: 288, aggregate: true, allocate }) },
  { name: 'H.264 single NAL units (GStreamer multislice)', fixture: 'h264-gst-multislice.json', units: (p) => nalUnits(new H264Decoder(), p), encoder: (sequencer, allocate) => new H264Encoder({ sequencer, allocate }) },
  { name: 'H.265 FU and AP (ffmpeg)', fixture: 'h265-ffmpeg-fu.json', units: (p) => nalUnits(new H265Decoder(), p), encoder: (sequencer, allocate) => new H265Encoder({ sequencer, maxPayloadSize: 288, aggregate: true, allocate }) },
  {
    name: 'AAC fragmented AUs (ffmpeg -pkt_size 200)', fixture: 'aac-ffmpeg-fragmented.json',
    units: (packets) => aacUnits(packets).map((u) => ({ payloads: [u.data], timestamp: u.timestamp })),
    encoder: (sequencer, allocate) => new AacEncoder({ sequencer, maxPayloadSize: 188, allocate }),
  },
  {
    // One AU that fits: the packetizer's case, written without a plan (AacEncoder.encodeSingle).
    name: 'AAC one AU per packet (GStreamer rtpmp4gpay)', fixture: 'aac-gst-mp4gpay.json',
    units: (packets) => aacUnits(packets).map((u) => ({ payloads: [u.data], timestamp: u.timestamp })),
    encoder: (sequencer, allocate) => new AacEncoder({ sequencer, allocate }),
  },
  {
    name: 'AAC several AUs per packet (ffmpeg -max_delay)', fixture: 'aac-ffmpeg-aggregated.json',
    units: (packets) => {
      const aus = aacUnits(packets);
      return [{ payloads: aus.map((u) => u.data), timestamp: aus[0].timestamp }];
    },
    encoder: (sequencer, allocate) => new AacEncoder({ sequencer, maxPayloadSize: 400, allocate }),
  },
];

describe('encodeFramed writes the packets encode() makes, RFC 4571-framed, once', () => {
  for (const c of cases) {
    test(c.name, () => {
      const units = c.units(loadPackets(c.fixture));
      assert.ok(units.length > 0);
      const plain = c.encoder(new Sequencer({ ssrc: 0x11223344, initialSequenceNumber: 65530 }));
      const framed = c.encoder(new Sequencer({ ssrc: 0x11223344, initialSequenceNumber: 65530 }));
      // Into slabs of memory that is not zeroed (here: full of 0xee): every byte must be written.
      const slab = new BufferSlab(4096, 1024);
      const dirty = c.encoder(new Sequencer({ ssrc: 0x11223344, initialSequenceNumber: 65530 }), (n) => slab.allocate(n).fill(0xee));
      let packets = 0;
      for (const [i, u] of units.entries()) {
        const headroom = i % 3 === 0 ? 0 : 18;
        const expected = plain.encode(u.payloads, u.timestamp).map(serializeRtpPacket);
        const got = framed.encodeFramed(u.payloads, u.timestamp, headroom);
        assert.deepEqual(unframe(got.buffer, headroom), expected, `unit ${i}`);
        // The views are the packets inside the buffer, not copies.
        assert.deepEqual(got.packets.map((p) => p.slice()), expected);
        for (const p of got.packets) assert.equal(p.buffer, got.buffer.buffer);
        const fromSlab = dirty.encodeFramed(u.payloads, u.timestamp, headroom);
        assert.deepEqual(unframe(fromSlab.buffer, headroom), expected, `unit ${i} from a slab`);
        packets += expected.length;
      }
      assert.ok(packets !== units.length || c.fixture.includes('multislice') || c.fixture.includes('mp4gpay'), 'the fixture exercises more than one packet per unit');
    });
  }

  test('the writer refuses a packet the 16-bit length cannot carry, and a short write', () => {
    const h = { marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3 };
    assert.throws(() => new FramedRtpWriter(0x20000, 0).begin(MAX_FRAMED_PACKET_SIZE, h), RtpWriteError);
    const w = new FramedRtpWriter(2 + 12 + 4 + 1, 0);
    w.begin(4, h);
    assert.throws(() => w.done(), RtpWriteError);
    assert.throws(() => new FramedRtpWriter(4, 5), RtpWriteError);
  });
});
