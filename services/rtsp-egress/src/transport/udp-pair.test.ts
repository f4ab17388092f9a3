import { strict as assert } from 'node:assert';
import { RemoteInfo, Socket, createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { createLogger } from '@streamgate/platform';
import { ConnectedRtpSender } from './connected-rtp-sender';
import type { RtpSender } from './rtp-sender';
import { UdpPair } from './udp-pair';

const logger = createLogger({ service: 'udp-pair-test', level: 'silent' });

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

function nextMessage(s: Socket): Promise<{ msg: Buffer; rinfo: RemoteInfo }> {
  return new Promise((resolve) => s.once('message', (msg, rinfo) => resolve({ msg, rinfo })));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('UdpPair', () => {
  it('sends each reader RTP from the announced server RTP port, and still hears its RTCP on the RTCP port', async () => {
    const pair = await UdpPair.bind('127.0.0.1', 0, logger);
    const readers = await Promise.all([bound(), bound(), bound()]);
    const reports: string[] = [];
    pair.onRtcp((address, port) => reports.push(`${address}:${port}`));
    const senders = await Promise.all(readers.map((r) => pair.rtpSenderTo('127.0.0.1', r.address().port)));
    try {
      assert.equal(pair.rtpPort % 2, 0);
      for (const [i, reader] of readers.entries()) {
        const got = nextMessage(reader);
        senders[i].send(Uint8Array.of(0x80, 96, 0, i));
        const { msg, rinfo } = await got;
        assert.deepEqual([...msg], [0x80, 96, 0, i]);
        assert.equal(rinfo.port, pair.rtpPort, 'server_port as announced in SETUP');
      }
      // A receiver report from the reader's RTP socket to the server's RTCP port (as ffmpeg does).
      readers[1].send(Uint8Array.of(0x80, 201, 0, 1, 0, 0, 0, 1), pair.rtcpPort, '127.0.0.1');
      for (let i = 0; i < 50 && reports.length === 0; i++) await sleep(10);
      assert.deepEqual(reports, [`127.0.0.1:${readers[1].address().port}`]);
    } finally {
      for (const s of senders) s.close();
      for (const r of readers) r.close();
      await pair.close();
    }
  });

  it('refuses a port pair whose RTCP port another socket holds', async () => {
    const pair = await UdpPair.bind('127.0.0.1', 0, logger);
    await pair.close();
    const squatter = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((r) => squatter.bind(pair.rtcpPort, '127.0.0.1', r));
    try {
      await assert.rejects(UdpPair.bind('127.0.0.1', pair.rtpPort, logger), /EADDRINUSE/);
    } finally {
      squatter.close();
    }
  });
});

describe('ConnectedRtpSender', () => {
  it('hands over to the shared socket when the reader port is unreachable, without raising errors', async () => {
    const gone = await bound();
    const port = gone.address().port;
    gone.close();
    const viaFallback: Uint8Array[] = [];
    const fallback: RtpSender = { send: (p) => viaFallback.push(p), close: () => undefined };
    const sender = await ConnectedRtpSender.open({
      type: 'udp4', localHost: '127.0.0.1', localPort: 0, address: '127.0.0.1', port, fallback, logger,
    });
    try {
      // Each datagram draws an ICMP port unreachable, which the connected socket reports.
      for (let i = 0; i < 50 && viaFallback.length === 0; i++) {
        sender.send(Uint8Array.of(0x80, 96, 0, i));
        await sleep(10);
      }
      assert.ok(viaFallback.length > 0, 'later packets go through the fallback');
    } finally {
      sender.close();
    }
  });
});
