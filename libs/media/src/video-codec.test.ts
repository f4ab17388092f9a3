import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildVideoConfig, H264 } from './video-codec';

test('buildVideoConfig keeps copies of the parameter sets, also when they are views into a Buffer that is reused', () => {
  // As ingest hands them on: NAL units inside a pooled read (a Buffer, whose slice() is a view).
  const read = Buffer.from([0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xbf, 0xe5, 0x84, 0x00, 0x68, 0xce, 0x3c, 0x80]);
  const sps = read.subarray(0, 11);
  const pps = read.subarray(11);
  const config = buildVideoConfig(H264, { sps, pps });
  assert.ok(config);
  const before = { sps: Buffer.from(config.sps).toString('hex'), pps: Buffer.from(config.pps).toString('hex') };
  read.fill(0);
  assert.deepEqual({ sps: Buffer.from(config.sps).toString('hex'), pps: Buffer.from(config.pps).toString('hex') }, before);
  assert.notEqual(config.sps.buffer, read.buffer);
});
