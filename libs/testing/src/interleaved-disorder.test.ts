import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InterleavedDisorder } from './interleaved-disorder';

const frame = (channel: number, seq: number): Buffer => Buffer.from([0x24, channel, 0, 2, seq >> 8, seq & 0xff]);
const read = (out: Buffer[]): string[] => {
  const all = Buffer.concat(out);
  const items: string[] = [];
  for (let i = 0; i < all.length;) {
    if (all[i] === 0x24) {
      const len = all.readUInt16BE(i + 2);
      items.push(`${all[i + 1]}:${all.readUInt16BE(i + 4)}`);
      i += 4 + len;
    } else {
      const end = all.indexOf('\r\n\r\n', i) + 4;
      items.push(all.subarray(i, end).toString('latin1').split('\r\n')[0]);
      i = end;
    }
  }
  return items;
};

test('swaps every n-th RTP packet with the next of its channel, duplicates, drops on one channel; RTSP and RTCP untouched', () => {
  const d = new InterleavedDisorder({ swapEvery: 3, duplicateEvery: 5, dropChannel: 2, dropEvery: 2, dropCount: 2 });
  const input = [
    Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 4\r\n\r\n'),
    ...[1, 2, 3, 4, 5, 6, 7].map((s) => frame(0, s)),
    frame(1, 99),
    ...[1, 2, 3, 4, 5].map((s) => frame(2, s)),
  ];
  // Fed in 3-byte pieces: items are cut anywhere by TCP.
  const bytes = Buffer.concat(input);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 3) out.push(...d.push(bytes.subarray(i, i + 3)));
  assert.deepEqual(read(out), [
    'RTSP/1.0 200 OK',
    // Channel 0: 3 and 6 held and overtaken by 4 and 7; 5 twice.
    '0:1', '0:2', '0:4', '0:3', '0:5', '0:5', '0:7', '0:6', '1:99',
    // Channel 2: 2 and 4 dropped; 3 held until 5 overtakes it.
    '2:1', '2:5', '2:3',
  ]);
  assert.deepEqual(d.counts, { swapped: 3, duplicated: 1, dropped: 2 });
});
