import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hexToBytes, PacketFixture } from '@streamgate/protocol-rtp/testing';
import { parseRtpPacket } from './rtp-packet';
import { rtpSequenceNumber, rtpSsrc, rtpTimestamp, setRtpTimestamp } from './rtp-fields';

// dist/libs/protocol/rtp/src/packet → repository root
const FIXTURES = join(__dirname, '../../../../../../libs/protocol/rtp/fixtures');
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

test('in-place fields agree with parseRtpPacket on every packet of the captured fixtures; setRtpTimestamp changes bytes 4-7 only', () => {
  assert.ok(fixtures.length >= 3);
  let n = 0;
  for (const name of fixtures) {
    const fixture = JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as PacketFixture;
    for (const bytes of fixture.packets.map(hexToBytes)) {
      const h = parseRtpPacket(bytes).header;
      assert.deepEqual([rtpSequenceNumber(bytes), rtpTimestamp(bytes), rtpSsrc(bytes)], [h.sequenceNumber, h.timestamp, h.ssrc], name);
      for (const ts of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, h.timestamp ^ 0xa5a5a5a5]) {
        const copy = bytes.slice();
        setRtpTimestamp(copy, ts);
        const back = parseRtpPacket(copy);
        assert.equal(back.header.timestamp, ts >>> 0);
        assert.deepEqual({ ...back.header, timestamp: h.timestamp }, h);
        assert.deepEqual([...copy.subarray(0, 4), ...copy.subarray(8)], [...bytes.subarray(0, 4), ...bytes.subarray(8)]);
      }
      n++;
    }
  }
  assert.ok(n > 100, `${n} packets`);
});
