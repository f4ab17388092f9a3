import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { bindUdpPortPair, parsePortRange, UdpPortPairError } from './udp-port-pair';

describe('bindUdpPortPair (RFC 3550 §11: even RTP, RTCP + 1)', () => {
  it('kernel-picked: an even RTP port and the next one, both bound', async () => {
    const pair = await bindUdpPortPair({ host: '127.0.0.1' });
    try {
      assert.equal(pair.rtpPort % 2, 0);
      assert.equal(pair.rtcpPort, pair.rtpPort + 1);
      assert.equal(pair.rtp.address().port, pair.rtpPort);
      assert.equal(pair.rtcp.address().port, pair.rtcpPort);
    } finally {
      await pair.close();
    }
  });

  it('a range is walked from the cursor and skips a pair held elsewhere', async () => {
    const held = await bindUdpPortPair({ host: '127.0.0.1' });
    const lo = held.rtpPort;
    try {
      const pair = await bindUdpPortPair({ host: '127.0.0.1', range: [lo, lo + 3], cursor: 0 });
      assert.deepEqual([pair.rtpPort, pair.index], [lo + 2, 1], 'the first pair is taken');
      await assert.rejects(bindUdpPortPair({ host: '127.0.0.1', range: [lo, lo + 3] }), /no free UDP port pair in/);
      await pair.close();
    } finally {
      await held.close();
    }
  });

  it('a fixed port must be even, and a taken one says why', async () => {
    await assert.rejects(bindUdpPortPair({ host: '127.0.0.1', port: 5001 }), UdpPortPairError);
    const held = await bindUdpPortPair({ host: '127.0.0.1' });
    try {
      await assert.rejects(bindUdpPortPair({ host: '127.0.0.1', port: held.rtpPort }), /EADDRINUSE/);
    } finally {
      await held.close();
    }
  });

  it('parsePortRange: even-aligned, bounded, explicit errors', () => {
    assert.deepEqual(parsePortRange('20001-20999'), [20002, 20999]);
    assert.equal(parsePortRange(' '), undefined);
    assert.throws(() => parsePortRange('80-90'), UdpPortPairError);
    assert.throws(() => parsePortRange('x'), /expected e.g. 20000-20999/);
  });
});
