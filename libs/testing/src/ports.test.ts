import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { freeTcpPort, freeUdpPortPair } from './ports';

describe('ports', () => {
  it('freeTcpPort returns a port we can listen on', async () => {
    const port = await freeTcpPort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('freeUdpPortPair returns even RTP and RTP+1 RTCP, both bindable', async () => {
    const { rtp, rtcp } = await freeUdpPortPair();
    assert.equal(rtp % 2, 0);
    assert.equal(rtcp, rtp + 1);
    for (const port of [rtp, rtcp]) {
      const s = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, '127.0.0.1', resolve);
      });
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });
});
