import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { parseRtpInfo, parseSession, parseTransport } from '@streamgate/protocol-rtsp';
import { EgressUnderTest, RawRtspClient, seqOf, startEgressForTest, SyntheticStream } from '@streamgate/rtsp-egress/testing';
import { startRtspEgress } from './index';

const TCP = 'RTP/AVP/TCP;unicast;interleaved=0-1';

async function playTcp(client: RawRtspClient, url: string): Promise<{ session: string; rtpInfo: string | undefined }> {
  const setup = await client.request('SETUP', `${url}/trackID=0`, { Transport: TCP });
  assert.equal(setup.statusCode, 200);
  const session = parseSession(setup.headers.get('session') ?? '').id;
  const play = await client.request('PLAY', `${url}/`, { Session: session, Range: 'npt=0.000-' });
  assert.equal(play.statusCode, 200);
  return { session, rtpInfo: play.headers.get('rtp-info') };
}

describe('rtsp-egress protocol', () => {
  let env: EgressUnderTest;
  let stream: SyntheticStream;
  let timer: NodeJS.Timeout;
  let n = 0;

  before(async () => {
    env = await startEgressForTest(startRtspEgress, { RTSP_MAX_REQUEST_BYTES: 2048 });
    stream = new SyntheticStream(env.bus, 's');
    stream.publish(true);
    timer = setInterval(() => stream.publish(++n % 25 === 0), 20);
  });
  after(async () => {
    clearInterval(timer);
    stream.close();
    await env.stop();
  });

  it('OPTIONS lists the methods and echoes CSeq', async () => {
    const c = await RawRtspClient.connect(env.egress.rtspPort);
    const res = await c.request('OPTIONS', env.url('s'));
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers.get('cseq'), '1');
    assert.match(res.headers.get('public') ?? '', /DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN/);
    c.close();
  });

  it('DESCRIBE answers SDP with Content-Base, or 404 for an unknown path', async () => {
    const c = await RawRtspClient.connect(env.egress.rtspPort);
    const ok = await c.request('DESCRIBE', env.url('s'), { Accept: 'application/sdp' });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers.get('content-base'), `${env.url('s')}/`);
    assert.equal(ok.headers.get('content-type'), 'application/sdp');
    assert.match(Buffer.from(ok.body).toString(), /a=control:trackID=0/);
    for (const path of ['nope', 'bad.name', 'a/b/c']) {
      const res = await c.request('DESCRIBE', env.url(path));
      assert.equal(res.statusCode, 404, path);
    }
    c.close();
  });

  it('PLAY starts on the keyframe announced in RTP-Info', async () => {
    const c = await RawRtspClient.connect(env.egress.rtspPort);
    const { rtpInfo } = await playTcp(c, env.url('s'));
    const [info] = parseRtpInfo(rtpInfo ?? '');
    assert.equal(info.url, `${env.url('s')}/trackID=0`);
    const first = await c.waitFor(() => c.frames.find((f) => f.channel === 0), 3000);
    assert.equal(seqOf(first.payload), info.seq);
    assert.equal(first.payload[12], 0x65, 'first packet is the IDR');
    c.close();
  });

  it('answers 454 for an unknown session id', async () => {
    const c = await RawRtspClient.connect(env.egress.rtspPort);
    assert.equal((await c.request('PLAY', env.url('s'), { Session: 'DEADBEEF00' })).statusCode, 454);
    assert.equal((await c.request('GET_PARAMETER', env.url('s'), { Session: 'DEADBEEF00' })).statusCode, 454);
    c.close();
  });

  it('answers 455 for PLAY, PAUSE and TEARDOWN before SETUP, and for SETUP while playing', async () => {
    const c = await RawRtspClient.connect(env.egress.rtspPort);
    for (const m of ['PLAY', 'PAUSE', 'TEARDOWN']) assert.equal((await c.request(m, env.url('s'))).statusCode, 455, m);
    const { session } = await playTcp(c, env.url('s'));
    assert.equal((await c.request('SETUP', `${env.url('s')}/trackID=0`, { Transport: TCP, Session: session })).statusCode, 455);
    c.close();
  });

  it('answers 461 for multicast and unknown transports, 404 for an unknown track', async () => {
    const c = await RawRtspClient.connect(env.egress.rtspPort);
    for (const t of ['RTP/AVP;multicast;ttl=127', 'RTP/SAVP;unicast;client_port=5000-5001', 'RAW/RAW/UDP;unicast', 'RTP/AVP;unicast;mode=RECORD']) {
      assert.equal((await c.request('SETUP', `${env.url('s')}/trackID=0`, { Transport: t })).statusCode, 461, t);
    }
    assert.equal((await c.request('SETUP', `${env.url('s')}/trackID=7`, { Transport: TCP })).statusCode, 404);
    c.close();
  });

  it('SETUP over UDP replies with the shared server port pair and the SSRC', async () => {
    const c = await RawRtspClient.connect(env.egress.rtspPort);
    const res = await c.request('SETUP', `${env.url('s')}/trackID=0`, { Transport: 'RTP/AVP;unicast;client_port=40000-40001' });
    assert.equal(res.statusCode, 200);
    const t = parseTransport(res.headers.get('transport') ?? '');
    assert.deepEqual(t.serverPort, [env.egress.udpRtpPort, env.egress.udpRtpPort + 1]);
    assert.equal(env.egress.udpRtpPort % 2, 0);
    assert.equal(t.ssrc, 0x0badf00d);
    assert.match(res.headers.get('session') ?? '', /;timeout=60$/);
    const session = parseSession(res.headers.get('session') ?? '').id;
    assert.equal((await c.request('TEARDOWN', env.url('s'), { Session: session })).statusCode, 200);
    assert.equal((await c.request('PLAY', env.url('s'), { Session: session })).statusCode, 454);
    c.close();
  });

  it('assigns interleaved channels when the client gives none', async () => {
    const c = await RawRtspClient.connect(env.egress.rtspPort);
    const res = await c.request('SETUP', `${env.url('s')}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast' });
    assert.deepEqual(parseTransport(res.headers.get('transport') ?? '').interleaved, [0, 1]);
    c.close();
  });

  it('answers 505, 501, 405 and 400 (no CSeq) and keeps the connection', async () => {
    const c = await RawRtspClient.connect(env.egress.rtspPort);
    c.sendRaw(`OPTIONS ${env.url('s')} RTSP/2.0\r\nCSeq: 50\r\n\r\n`);
    const v = await c.waitFor(() => c.responses.find((r) => r.headers.get('cseq') === '50'), 3000);
    assert.equal(v.statusCode, 505);
    assert.equal((await c.request('FROBNICATE', env.url('s'))).statusCode, 501);
    const announce = await c.request('ANNOUNCE', env.url('s'));
    assert.equal(announce.statusCode, 405);
    assert.match(announce.headers.get('allow') ?? '', /DESCRIBE/);
    c.sendRaw(`OPTIONS ${env.url('s')} RTSP/1.0\r\n\r\n`);
    await c.waitFor(() => c.responses.find((r) => r.statusCode === 400), 3000);
    assert.equal((await c.request('OPTIONS', env.url('s'))).statusCode, 200);
    assert.equal(c.closed, false);
    c.close();
  });

  it('answers garbage with 400 and closes; oversized heads with 431 and closes; a good reader keeps receiving', async () => {
    const good = await RawRtspClient.connect(env.egress.rtspPort);
    await playTcp(good, env.url('s'));
    await good.waitFor(() => good.frames.length > 5, 3000);

    const garbage = await RawRtspClient.connect(env.egress.rtspPort);
    garbage.sendRaw(Uint8Array.from([0x00, 0x01, 0xfe, 0x10, 0x0d, 0x0a, 0x0d, 0x0a]));
    await garbage.waitFor(() => garbage.closed, 3000);
    assert.equal(garbage.responses[0]?.statusCode, 400);

    const text = await RawRtspClient.connect(env.egress.rtspPort);
    text.sendRaw('HELLO THERE\r\nCSeq: 3\r\n\r\n');
    await text.waitFor(() => text.closed, 3000);
    assert.equal(text.responses[0]?.statusCode, 400);
    assert.equal(text.responses[0]?.headers.get('cseq'), '3');

    const huge = await RawRtspClient.connect(env.egress.rtspPort);
    huge.sendRaw(`OPTIONS ${env.url('s')} RTSP/1.0\r\nCSeq: 1\r\nX-Junk: ${'a'.repeat(4000)}\r\n\r\n`);
    await huge.waitFor(() => huge.closed, 3000);
    assert.equal(huge.responses[0]?.statusCode, 431);

    const before = good.frames.length;
    await good.waitFor(() => good.frames.length > before + 10, 3000);
    assert.equal(good.closed, false);
    good.close();
  });
});
