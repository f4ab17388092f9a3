import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseRtpPacket, rtpPacketByteLength, RtpPacket, RtpParseError, serializeRtpPacket, writeRtpPacket,
} from './rtp-packet';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('parseRtpPacket', () => {
  test('ffmpeg H.264 packet: marker, PT 96', () => {
    const p = parseRtpPacket(hex('80e0 1a2b 00015f90 12345678 65888400'));
    assert.equal(p.header.marker, true);
    assert.equal(p.header.payloadType, 96);
    assert.equal(p.header.sequenceNumber, 0x1a2b);
    assert.equal(p.header.timestamp, 90000);
    assert.equal(p.header.ssrc, 0x12345678);
    assert.deepEqual(p.header.csrc, []);
    assert.equal(p.header.extension, undefined);
    assert.deepEqual([...p.payload], [0x65, 0x88, 0x84, 0x00]);
  });

  test('CSRC, extension and padding (RFC 3550 §5.1, §5.3.1)', () => {
    const buf = hex('b2 60 0001 00000002 00000003 0000000a 0000000b bede0001 10ff0000 aabbcc 000003');
    const p = parseRtpPacket(buf);
    assert.deepEqual(p.header.csrc, [10, 11]);
    assert.equal(p.header.padding, true);
    assert.equal(p.header.extension?.profile, 0xbede);
    assert.deepEqual([...(p.header.extension?.data ?? [])], [0x10, 0xff, 0, 0]);
    assert.deepEqual([...p.payload], [0xaa, 0xbb, 0xcc]);
    assert.equal(p.payload.buffer, buf.buffer, 'payload is a view');
  });

  const bad: Array<[string, string]> = [
    ['shorter than the fixed header', '8060000100000002000000'],
    ['version 1', '4060 0001 00000002 00000003'],
    ['CSRC count past the end', '8f60 0001 00000002 00000003 00000001'],
    ['extension past the end', '9060 0001 00000002 00000003 bede0002 00000000'],
    ['padding count 0', 'a060 0001 00000002 00000003 aa00'],
    ['padding longer than the payload', 'a060 0001 00000002 00000003 aa09'],
  ];
  for (const [name, h] of bad) {
    test(`rejects: ${name}`, () => assert.throws(() => parseRtpPacket(hex(h)), RtpParseError));
  }
});

describe('serializeRtpPacket', () => {
  test('round trip with CSRC and extension', () => {
    const p: RtpPacket = {
      header: {
        marker: true, payloadType: 97, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef,
        csrc: [1, 2, 3], padding: false, extension: { profile: 0x1000, data: new Uint8Array([1, 2, 3, 4]) },
      },
      payload: new Uint8Array([9, 8, 7]),
    };
    const bytes = serializeRtpPacket(p);
    assert.equal(bytes.byteLength, rtpPacketByteLength(p));
    const back = parseRtpPacket(bytes);
    assert.deepEqual({ ...back.header, extension: undefined }, { ...p.header, extension: undefined });
    assert.deepEqual([...(back.header.extension?.data ?? [])], [1, 2, 3, 4]);
    assert.deepEqual([...back.payload], [9, 8, 7]);
  });

  test('writes at an offset into a caller buffer', () => {
    const p: RtpPacket = { header: { marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrc: [], padding: false }, payload: new Uint8Array([5]) };
    const out = new Uint8Array(20);
    assert.equal(writeRtpPacket(p, out, 4), 13);
    assert.deepEqual(parseRtpPacket(out.subarray(4, 17)).payload, new Uint8Array([5]));
    assert.throws(() => writeRtpPacket(p, out, 10));
  });

  test('fuzz: parse never throws anything but RtpParseError; parse∘serialize is stable', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (buf) => {
      let p: RtpPacket;
      try {
        p = parseRtpPacket(buf);
      } catch (err) {
        assert.ok(err instanceof RtpParseError);
        return;
      }
      const again = parseRtpPacket(serializeRtpPacket(p));
      assert.deepEqual([...again.payload], [...p.payload]);
      assert.equal(again.header.sequenceNumber, p.header.sequenceNumber);
    }), { seed: 42, numRuns: 2000 });
  });
});
