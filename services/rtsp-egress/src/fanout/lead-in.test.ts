import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { AccessUnitMessage, TrackDescription } from '@streamgate/contracts';
import { h264PpsId } from '@streamgate/codec';
import { H264Encoder, Sequencer, parseH264Payload, parseRtpPacket } from '@streamgate/protocol-rtp';
import { skippedPictureLeadIn } from './lead-in';

const SPS = Buffer.from('674d4028eca03c0113f2e022000003000200000300781e30632c', 'hex');
const TRACK: TrackDescription = { id: 0, media: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, ssrc: 0x1234 };

test('in-band parameter sets (a STAP-A before the IDR, no sprop): the lead-in carries that SPS and a PPS id the stream does not use', () => {
  const pps = [Buffer.from('68ebe3cb22c0', 'hex'), Buffer.from('685b8f20', 'hex')]; // ids 0 and 1
  assert.deepEqual(pps.map((p) => h264PpsId(p)), [0, 1]);
  const packets = new H264Encoder({ sequencer: new Sequencer({ ssrc: 0x1234, initialSequenceNumber: 500 }), payloadType: 96, maxPayloadSize: 1400 })
    .encode([SPS, ...pps, Uint8Array.of(0x65, 0x88, 0x84, 0x00)], 90000)
    .map((p) => {
      const out = new Uint8Array(12 + p.payload.byteLength);
      out.set([0x80, 96, p.header.sequenceNumber >> 8, p.header.sequenceNumber & 0xff, 0, 1, 0x5f, 0x90, 0, 0, 0x12, 0x34]);
      out.set(p.payload, 12);
      return out;
    });
  assert.equal(parseH264Payload(parseRtpPacket(packets[0]).payload).kind, 'nalus');
  const keyframe: AccessUnitMessage = { kind: 'access-unit', track: 0, keyframe: true, rtpTimestamp: 90000, receivedAt: 0, packets };
  const lead = skippedPictureLeadIn(keyframe, TRACK, {});
  assert.ok(lead, 'led in from the in-band SPS');
  const nalus = lead.packets.flatMap((p) => {
    const payload = parseH264Payload(parseRtpPacket(p).payload);
    return payload.kind === 'nalus' ? payload.nalus : [];
  });
  assert.deepEqual(Buffer.from(nalus[0]), SPS);
  assert.equal(h264PpsId(nalus[1]), 2);
  assert.equal(nalus[2][0] & 0x1f, 1, 'then the slice');
  assert.equal(lead.rtpTimestamp, 90000 - 3000);
  assert.equal(skippedPictureLeadIn({ ...keyframe, packets: packets.slice(-1) }, TRACK, {}), undefined, 'no SPS anywhere: no lead-in');
});
