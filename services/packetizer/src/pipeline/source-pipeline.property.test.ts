import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRtpPacket } from '@streamgate/protocol-rtp';
import { aacSdp, cameraSdp, H264_SDP, H265_SDP, IngestReceivers, loadRtpFixture, TEST_MTU, testProcessor } from '@streamgate/packetizer/testing';
import { SourcePipeline } from './source-pipeline';

// Packets are picked from the captured tables in any order, any number of times (reordering,
// loss, duplicates, other streams' packets), some cut short or with a flipped byte, mixed with
// random bytes, and delivered in batches on any track, as RTP (through ingest's receivers, which
// order them and bound what they hold) or RTCP.
const VIDEO = [...loadRtpFixture('h264-ffmpeg-fua.json'), ...loadRtpFixture('h264-gst-stapa.json'), ...loadRtpFixture('h265-ffmpeg-fu.json'), ...loadRtpFixture('h265-gst-ap.json')];
const AUDIO = [...loadRtpFixture('aac-ffmpeg-fragmented.json'), ...loadRtpFixture('aac-gst-mp4gpay.json'), ...loadRtpFixture('aac-ffmpeg-aggregated.json')];
const POOL = [...VIDEO, ...AUDIO];
const LIMITS = { maxNaluSize: 3000, maxNalusPerAccessUnit: 6, maxAccessUnitSize: 5000 };

const packetArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ pick: fc.nat({ max: POOL.length - 1 }), cut: fc.option(fc.nat({ max: 400 })), flip: fc.option(fc.tuple(fc.nat({ max: 80 }), fc.integer({ min: 1, max: 255 }))) }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }) },
);
const batchArb = fc.record({ track: fc.nat({ max: 2 }), rtcp: fc.nat({ max: 9 }).map((x) => x === 0), advanceMs: fc.nat({ max: 60 }), packets: fc.array(packetArb, { maxLength: 10, size: 'medium' }) });

type PacketChoice = Uint8Array | { pick: number; cut: number | null; flip: [number, number] | null };

function materialize(p: PacketChoice): Uint8Array {
  if (p instanceof Uint8Array) return p;
  const bytes = POOL[p.pick].slice(0, p.cut ?? undefined);
  if (p.flip && p.flip[0] < bytes.byteLength) bytes[p.flip[0]] ^= p.flip[1];
  return bytes;
}

describe('SourcePipeline properties (seeded from the captured tables)', () => {
  for (const [name, video] of [['H.264', H264_SDP], ['H.265', H265_SDP]] as const) {
    test(`${name} + AAC: damaged, shuffled, garbage batches never throw; memory stays bounded; output stays clean`, () => {
      const copies = POOL.map((b) => b.slice());
      fc.assert(fc.property(fc.array(batchArb, { maxLength: 60, size: 'medium' }), (batches) => {
        const p = testProcessor(SourcePipeline, cameraSdp([video, aacSdp(48000, 2, '1190')]), { nalLimits: LIMITS });
        const ingest = new IngestReceivers(p);
        let now = 0;
        let keyframeSeen = false;
        for (const b of batches) {
          now += b.advanceMs;
          const packets = b.packets.map(materialize);
          const units = b.rtcp ? p.processBatch({ track: b.track, rtcp: true, newSource: false, receivedAt: now, packets }) : ingest.read(b.track, packets, now);
          for (const u of units) {
            if (u.track === 0) {
              keyframeSeen ||= u.keyframe;
              assert.ok(keyframeSeen, 'no video before a keyframe');
              assert.ok((u.nalus ?? []).length <= LIMITS.maxNalusPerAccessUnit + 3);
            }
            for (const bytes of u.packets) assert.ok(parseRtpPacket(bytes).payload.byteLength <= TEST_MTU);
          }
          assert.ok(ingest.heldPackets <= 3 * (32 + 2), `held ${ingest.heldPackets}`);
          assert.ok(p.bufferedBytes <= 2 * (LIMITS.maxAccessUnitSize + LIMITS.maxNaluSize) + 64 * 1024, `buffered ${p.bufferedBytes}`);
        }
      }), { seed: 6184, numRuns: 300 });
      assert.deepEqual(POOL, copies, 'inputs are never mutated');
    });
  }
});
