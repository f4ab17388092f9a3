import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createSocket } from 'node:dgram';
import { RawRtspClient, useEgressWithFakeStream } from '@streamgate/rtsp-egress/testing';
import { startRtspEgress } from './index';

/**
 * Issue #12 regression "cross-connection session use": a session id worked from any
 * connection, so anyone who saw it could PLAY/PAUSE/TEARDOWN someone else's session. Now a
 * TCP session answers only on the connection that set it up, a UDP session only from the
 * reader's address; anything else gets 454 as for an unknown id, and the owner plays on.
 */
describe('regression: RTSP sessions are bound to their connection (TCP) or address (UDP)', () => {
  const suite = useEgressWithFakeStream(startRtspEgress);

  async function setUp(client: RawRtspClient, transport: string): Promise<string> {
    const url = suite.env.url('cam1');
    assert.equal((await client.request('DESCRIBE', url, { Accept: 'application/sdp' })).statusCode, 200);
    const setup = await client.request('SETUP', `${url}/trackID=0`, { Transport: transport });
    assert.equal(setup.statusCode, 200);
    return (setup.headers.get('session') ?? '').split(';')[0];
  }

  it('another connection cannot PAUSE, TEARDOWN or keep alive a TCP session; the owner keeps receiving media', async () => {
    const owner = await RawRtspClient.connect(suite.env.egress.rtspPort);
    const other = await RawRtspClient.connect(suite.env.egress.rtspPort);
    try {
      const id = await setUp(owner, 'RTP/AVP/TCP;unicast;interleaved=0-1');
      assert.equal((await owner.request('PLAY', suite.env.url('cam1'), { Session: id })).statusCode, 200);
      for (const method of ['PAUSE', 'TEARDOWN', 'GET_PARAMETER', 'PLAY']) {
        assert.equal((await other.request(method, suite.env.url('cam1'), { Session: id })).statusCode, 454, method);
      }
      const before = owner.frames.length;
      await owner.waitFor(() => owner.frames.length > before + 20, 5000);
      assert.equal((await owner.request('TEARDOWN', suite.env.url('cam1'), { Session: id })).statusCode, 200);
    } finally {
      owner.close();
      other.close();
    }
  });

  it('a UDP session answers from the reader\'s address (127.0.0.1), not from another one (127.0.0.2)', async () => {
    const rtp = createSocket('udp4');
    await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', resolve));
    const port = rtp.address().port;
    const owner = await RawRtspClient.connect(suite.env.egress.rtspPort);
    const stranger = await RawRtspClient.connect(suite.env.egress.rtspPort, { localAddress: '127.0.0.2' });
    const sameHost = await RawRtspClient.connect(suite.env.egress.rtspPort);
    try {
      const id = await setUp(owner, `RTP/AVP;unicast;client_port=${port}-${port + 1}`);
      owner.close();
      assert.equal((await stranger.request('TEARDOWN', suite.env.url('cam1'), { Session: id })).statusCode, 454);
      // A reader may send TEARDOWN on a new connection from its own address (VLC does).
      assert.equal((await sameHost.request('TEARDOWN', suite.env.url('cam1'), { Session: id })).statusCode, 200);
    } finally {
      stranger.close();
      sameHost.close();
      rtp.close();
    }
  });
});
