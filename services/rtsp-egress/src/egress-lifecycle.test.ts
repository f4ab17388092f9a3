import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { StreamEvent, Subjects, encodeEnvelopeList, encodeJson } from '@streamgate/contracts';
import { RtcpPacketType, splitCompound } from '@streamgate/protocol-rtp';
import { parseSession } from '@streamgate/protocol-rtsp';
import { RawRtspClient, seqOf, startEgressForTest, SyntheticStream } from '@streamgate/rtsp-egress/testing';
import { startRtspEgress } from './index';

const TCP = 'RTP/AVP/TCP;unicast;interleaved=0-1';

async function playTcp(client: RawRtspClient, url: string): Promise<string> {
  const setup = await client.request('SETUP', `${url}/trackID=0`, { Transport: TCP });
  assert.equal(setup.statusCode, 200);
  const session = parseSession(setup.headers.get('session') ?? '').id;
  assert.equal((await client.request('PLAY', `${url}/`, { Session: session })).statusCode, 200);
  return session;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('rtsp-egress reader lifecycle', () => {
  it('drops a TCP reader that never reads while a normal reader gets every access unit', async () => {
    const env = await startEgressForTest(startRtspEgress, { READER_QUEUE_BYTES: 256 * 1024 });
    const stream = new SyntheticStream(env.bus, 'busy');
    try {
      stream.publish(true, 10, 1200);
      const good = await RawRtspClient.connect(env.egress.rtspPort);
      await playTcp(good, env.url('busy'));
      const slow = await RawRtspClient.connect(env.egress.rtspPort);
      await playTcp(slow, env.url('busy'));
      slow.socket.pause();
      await sleep(50);
      // ~6 MB/s: far beyond the 256 KiB queue plus what the kernel buffers for the paused socket.
      for (let i = 1; i <= 400; i++) {
        stream.publish(i % 50 === 0, 50, 1200);
        await sleep(10);
      }
      // A paused socket does not notice the server closing it until it reads again.
      slow.socket.resume();
      await slow.waitFor(() => slow.closed, 10_000);
      for (let i = 0; i < 20; i++) {
        stream.publish(false, 5, 1200);
        await sleep(5);
      }
      const expected = stream.published.flatMap((au) => au.packets.map(seqOf));
      await good.waitFor(() => good.frames.filter((f) => f.channel === 0).length >= expected.length, 10_000);
      const received = good.frames.filter((f) => f.channel === 0).map((f) => seqOf(f.payload));
      assert.deepEqual(received, expected, 'the normal reader got every packet in order');
      await sleep(1200);
      const status = JSON.parse((await env.store.get('status/busy/rtsp-egress')) ?? '{}') as Record<string, number>;
      assert.equal(status.dropped_readers, 1);
      assert.equal(status.readers, 1);
      good.close();
    } finally {
      stream.close();
      await env.stop();
    }
  });

  it('expires idle sessions after RTSP_SESSION_TIMEOUT: TCP connection closed, UDP session gone', async () => {
    const env = await startEgressForTest(startRtspEgress, { RTSP_SESSION_TIMEOUT: 1 });
    const stream = new SyntheticStream(env.bus, 'quiet');
    try {
      stream.publish(true);
      const tcp = await RawRtspClient.connect(env.egress.rtspPort);
      await playTcp(tcp, env.url('quiet'));
      const udp = await RawRtspClient.connect(env.egress.rtspPort);
      const setup = await udp.request('SETUP', `${env.url('quiet')}/trackID=0`, { Transport: 'RTP/AVP;unicast;client_port=40100-40101' });
      const udpSession = parseSession(setup.headers.get('session') ?? '').id;
      const kept = await RawRtspClient.connect(env.egress.rtspPort);
      const keptSetup = await kept.request('SETUP', `${env.url('quiet')}/trackID=0`, { Transport: 'RTP/AVP;unicast;client_port=40102-40103' });
      const keptSession = parseSession(keptSetup.headers.get('session') ?? '').id;
      const started = Date.now();
      for (let i = 0; i < 6; i++) {
        await sleep(400);
        assert.equal((await kept.request('GET_PARAMETER', env.url('quiet'), { Session: keptSession })).statusCode, 200, 'keepalive refreshes');
      }
      await tcp.waitFor(() => tcp.closed, 6000);
      assert.ok(Date.now() - started < 4000);
      assert.equal((await udp.request('PLAY', env.url('quiet'), { Session: udpSession })).statusCode, 454);
      assert.equal((await kept.request('PLAY', env.url('quiet'), { Session: keptSession })).statusCode, 200);
      for (const c of [udp, kept]) c.close();
    } finally {
      stream.close();
      await env.stop();
    }
  });

  it('closes a connection that owns no session after RTSP_SESSION_TIMEOUT of silence; one that talks, or that plays over TCP and keeps its session alive, stays', async () => {
    const env = await startEgressForTest(startRtspEgress, { RTSP_SESSION_TIMEOUT: 1 }, { tickMs: 100 });
    const stream = new SyntheticStream(env.bus, 'idle');
    try {
      stream.publish(true);
      const silent = await RawRtspClient.connect(env.egress.rtspPort);
      const talking = await RawRtspClient.connect(env.egress.rtspPort);
      const playing = await RawRtspClient.connect(env.egress.rtspPort);
      const session = await playTcp(playing, env.url('idle'));
      assert.equal((await silent.request('OPTIONS', env.url('idle'))).statusCode, 200);
      const started = Date.now();
      for (let i = 0; i < 6; i++) {
        await sleep(400);
        stream.publish(false);
        assert.equal((await talking.request('OPTIONS', env.url('idle'))).statusCode, 200);
        assert.equal((await playing.request('GET_PARAMETER', env.url('idle'), { Session: session })).statusCode, 200);
      }
      assert.ok(silent.closed, 'the silent connection was closed');
      assert.ok(Date.now() - started < 4000);
      assert.ok(!talking.closed && !playing.closed);
      assert.ok(playing.frames.length >= 7, 'media kept flowing');
      for (const c of [talking, playing]) c.close();
    } finally {
      stream.close();
      await env.stop();
    }
  });

  it('with SOURCE_TIMEOUT 0, on source-stopped sends RTCP BYE, hangs up TCP readers after a grace, keeps UDP sessions for a clean TEARDOWN; a re-publish is described again', async () => {
    const env = await startEgressForTest(startRtspEgress, { SOURCE_TIMEOUT: 0 });
    let stream = new SyntheticStream(env.bus, 'live');
    const rtcp = createSocket('udp4');
    const rtp = createSocket('udp4');
    try {
      await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
      await new Promise<void>((r) => rtcp.bind(0, '127.0.0.1', r));
      const udpPackets: Buffer[] = [];
      rtcp.on('message', (m) => udpPackets.push(m));
      stream.publish(true);
      const tcp = await RawRtspClient.connect(env.egress.rtspPort);
      await playTcp(tcp, env.url('live'));
      const udp = await RawRtspClient.connect(env.egress.rtspPort);
      const setup = await udp.request('SETUP', `${env.url('live')}/trackID=0`, {
        Transport: `RTP/AVP;unicast;client_port=${rtp.address().port}-${rtcp.address().port}`,
      });
      const session = parseSession(setup.headers.get('session') ?? '').id;
      assert.equal((await udp.request('PLAY', env.url('live'), { Session: session })).statusCode, 200);
      stream.publish(false);
      await tcp.waitFor(() => tcp.frames.length >= 2, 3000);
      stream.stopped();
      await tcp.waitFor(() => tcp.closed, 6000);
      const rtcpFrames = tcp.frames.filter((f) => f.channel === 1);
      assert.ok(rtcpFrames.some((f) => splitCompound(f.payload).some((p) => p.header.packetType === RtcpPacketType.Goodbye)), 'BYE over TCP');
      await udp.waitFor(() => udpPackets.some((m) => splitCompound(new Uint8Array(m)).some((p) => p.header.packetType === RtcpPacketType.Goodbye)), 3000);
      // GStreamer sends PAUSE then TEARDOWN after the BYE's EOS: both succeed; PLAY cannot resume.
      assert.equal((await udp.request('PLAY', env.url('live'), { Session: session })).statusCode, 404);
      assert.equal((await udp.request('PAUSE', env.url('live'), { Session: session })).statusCode, 200);
      assert.equal((await udp.request('TEARDOWN', env.url('live'), { Session: session })).statusCode, 200);
      assert.equal((await udp.request('TEARDOWN', env.url('live'), { Session: session })).statusCode, 454);
      const status = JSON.parse((await env.store.get('status/live/rtsp-egress')) ?? '{}') as Record<string, number>;
      assert.equal(status.readers, 0);

      stream.close();
      stream = new SyntheticStream(env.bus, 'live', 2);
      stream.publish(true);
      const again = await RawRtspClient.connect(env.egress.rtspPort);
      assert.equal((await again.request('DESCRIBE', env.url('live'))).statusCode, 200);
      await playTcp(again, env.url('live'));
      await again.waitFor(() => again.frames.length >= 1, 3000);
      again.close();
      udp.close();
    } finally {
      stream.close();
      rtp.close();
      rtcp.close();
      await env.stop();
    }
  });

  it('a PLAY whose source stops while its GOP loads is answered 404, not left playing a stream that sends nothing', async () => {
    const env = await startEgressForTest(startRtspEgress, { SOURCE_TIMEOUT: 0 });
    const stream = new SyntheticStream(env.bus, 'race');
    try {
      stream.publish(true);
      const client = await RawRtspClient.connect(env.egress.rtspPort);
      const setup = await client.request('SETUP', `${env.url('race')}/trackID=0`, { Transport: TCP });
      assert.equal(setup.statusCode, 200);
      const session = parseSession(setup.headers.get('session') ?? '').id;
      // The GOP request of the PLAY is where the source stops (gst-launch hung on this in CI).
      stream.close();
      const gop = env.bus.subscribe(Subjects.gop('race'), (msg) => {
        stream.stopped();
        setTimeout(() => msg.respond(encodeEnvelopeList([])), 50);
      });
      try {
        assert.equal((await client.request('PLAY', `${env.url('race')}/`, { Session: session })).statusCode, 404);
      } finally {
        gop.unsubscribe();
      }
      client.close();
    } finally {
      stream.close();
      await env.stop();
    }
  });

  it('a source that drops and comes back within SOURCE_TIMEOUT keeps its readers (no BYE, sender reports go on, resumed at the next keyframe); one that stays away ends them after it', async () => {
    const env = await startEgressForTest(startRtspEgress, { SOURCE_TIMEOUT: 1 });
    const stream = new SyntheticStream(env.bus, 'blink');
    const isBye = (f: { channel: number; payload: Uint8Array }): boolean => f.channel === 1 && splitCompound(f.payload).some((p) => p.header.packetType === RtcpPacketType.Goodbye);
    const rtpSeqs = (c: RawRtspClient): number[] => c.frames.filter((f) => f.channel === 0).map((f) => seqOf(f.payload));
    try {
      stream.publish(true);
      const tcp = await RawRtspClient.connect(env.egress.rtspPort);
      await playTcp(tcp, env.url('blink'));
      stream.publish(false);
      await tcp.waitFor(() => rtpSeqs(tcp).length >= 2, 3000);
      stream.stopped();
      await sleep(200);
      const back: StreamEvent = { type: 'source-started', stream: 'blink', source: 'rtmp', at: Date.now(), generation: 2 };
      env.bus.publish(Subjects.streamEvents('blink'), encodeJson(StreamEvent, back));
      await sleep(100);
      const key = stream.publish(true);
      await tcp.waitFor(() => rtpSeqs(tcp).includes(seqOf(key.packets[0])), 3000);
      assert.ok(!tcp.frames.some(isBye) && !tcp.closed, 'no BYE, still connected');
      stream.stopped();
      await tcp.waitFor(() => tcp.closed, 1000 + 3000 + 3000);
      assert.ok(tcp.frames.some(isBye), 'BYE once SOURCE_TIMEOUT passed');
    } finally {
      stream.close();
      await env.stop();
    }
  });

  it('PAUSE stops media and unsubscribes the stream when the last reader leaves', async () => {
    const env = await startEgressForTest(startRtspEgress);
    const stream = new SyntheticStream(env.bus, 'p');
    let mediaSubscriptions = 0;
    const subscribe = env.bus.subscribe.bind(env.bus);
    env.bus.subscribe = (subject, handler, options) => {
      const sub = subscribe(subject, handler, options);
      if (subject !== 'media.p.out') return sub;
      mediaSubscriptions++;
      return { subject, unsubscribe: () => { mediaSubscriptions--; sub.unsubscribe(); } };
    };
    try {
      stream.publish(true);
      assert.equal(mediaSubscriptions, 0, 'no subscription without readers');
      const c = await RawRtspClient.connect(env.egress.rtspPort);
      const session = await playTcp(c, env.url('p'));
      await c.waitFor(() => c.frames.length >= 1, 3000);
      assert.equal((await c.request('PAUSE', env.url('p'), { Session: session })).statusCode, 200);
      const count = c.frames.length;
      stream.publish(false);
      stream.publish(false);
      await sleep(100);
      assert.equal(c.frames.length, count, 'no media while paused');
      assert.equal(mediaSubscriptions, 0, 'media.p.out released with the last reader');
      const status = JSON.parse((await env.store.get('status/p/rtsp-egress')) ?? '{}') as Record<string, number>;
      assert.equal(status.readers, 0, 'final readers:0 status when the last reader left');
      assert.equal((await c.request('PLAY', env.url('p'), { Session: session })).statusCode, 200);
      stream.publish(true);
      await c.waitFor(() => c.frames.length > count, 3000);
      assert.equal(mediaSubscriptions, 1);
      c.close();
    } finally {
      stream.close();
      await env.stop();
    }
  });
});
