/**
 * Tables for the pure pieces of the pull client: transport negotiation, backoff, reception
 * statistics (RFC 3550 A.1/A.3/A.8), SDP track selection, the RR+SDES compound.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseReceiverReport, splitCompound } from '@streamgate/protocol-rtp';
import { describeCamera } from './camera-description';
import { ReconnectBackoff } from './reconnect-backoff';
import { buildReceiverReportCompound } from './receiver-report';
import { RtspProtocolViolation } from './rtsp-client-errors';
import {
  NegotiatedTransport, TransportOffer, acceptTransport, effectiveMode, initialTransport, offerHeader, refusesUdp,
} from './transport-negotiation';

describe('transport negotiation', () => {
  const udp: TransportOffer = { lower: 'udp', clientPorts: [50000, 50001] };
  const tcp: TransportOffer = { lower: 'tcp', channels: [2, 3] };

  it('offers what RFC 2326 §12.39 spells', () => {
    assert.equal(offerHeader(udp), 'RTP/AVP/UDP;unicast;client_port=50000-50001');
    assert.equal(offerHeader(tcp), 'RTP/AVP/TCP;unicast;interleaved=2-3');
  });

  // [camera reply, offer, negotiated]
  const replies: Array<[string, TransportOffer, string | undefined, NegotiatedTransport]> = [
    ['GStreamer UDP', udp, 'RTP/AVP;unicast;client_port=50000-50001;server_port=40000-40001;ssrc=1A2B3C4D;mode="PLAY"',
      { lower: 'udp', serverPorts: [40000, 40001], ssrc: 0x1a2b3c4d }],
    ['odd server port, single value', udp, 'RTP/AVP;unicast;client_port=50000-50001;server_port=6971', { lower: 'udp', serverPorts: [6971, 6972] }],
    ['no server_port', udp, 'RTP/AVP;unicast;client_port=50000-50001', { lower: 'udp' }],
    ['source= (media from another address)', udp, 'RTP/AVP;unicast;source=10.0.0.9;client_port=50000-50001;server_port=7000-7001',
      { lower: 'udp', source: '10.0.0.9', serverPorts: [7000, 7001] }],
    ['no Transport header at all (UDP)', udp, undefined, { lower: 'udp' }],
    ['TCP with interleaved', tcp, 'RTP/AVP/TCP;unicast;interleaved=2-3', { lower: 'tcp', channels: [2, 3], ssrc: undefined }],
    ['TCP without interleaved: use what we asked', tcp, 'RTP/AVP/TCP;unicast', { lower: 'tcp', channels: [2, 3], ssrc: undefined }],
    ['TCP with other channels chosen by the camera', tcp, 'RTP/AVP/TCP;unicast;interleaved=6-7', { lower: 'tcp', channels: [6, 7], ssrc: undefined }],
    ['no Transport header at all (TCP)', tcp, undefined, { lower: 'tcp', channels: [2, 3] }],
  ];
  for (const [name, offer, reply, expected] of replies) {
    it(`accepts ${name}`, () => assert.deepEqual(acceptTransport(offer, reply), expected));
  }

  it('refuses a reply with another lower transport or garbage', () => {
    assert.throws(() => acceptTransport(udp, 'RTP/AVP/TCP;interleaved=0-1'), RtspProtocolViolation);
    assert.throws(() => acceptTransport(tcp, 'garbage'), RtspProtocolViolation);
  });

  // [status, means "not over UDP"]
  const statuses: Array<[number, boolean]> = [[461, true], [400, true], [403, true], [406, true], [453, true], [401, false], [404, false], [200, false], [500, false]];
  for (const [status, refused] of statuses) {
    it(`SETUP ${status} ${refused ? 'refuses' : 'does not refuse'} UDP`, () => assert.equal(refusesUdp(status), refused));
  }

  // [stream transport, gateway default, first lower transport]
  const modes: Array<[string, string, string]> = [
    ['auto', 'auto', 'udp'], ['auto', 'tcp', 'tcp'], ['auto', 'udp', 'udp'], ['tcp', 'auto', 'tcp'], ['udp', 'tcp', 'udp'],
  ];
  for (const [stream, gateway, first] of modes) {
    it(`stream ${stream} with gateway default ${gateway} starts over ${first}`, () => {
      assert.equal(initialTransport(effectiveMode(stream as 'auto', gateway as 'auto')), first);
    });
  }
});

describe('ReconnectBackoff', () => {
  it('doubles from 1 s to the 30 s cap without jitter', () => {
    const b = new ReconnectBackoff({ jitter: 0 });
    assert.deepEqual(Array.from({ length: 8 }, () => b.next()), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
  // [random(), first delay]
  const jitter: Array<[number, number]> = [[0, 800], [0.5, 1000], [0.999999, 1200]];
  for (const [r, delay] of jitter) {
    it(`keeps jitter within ±20 % (random ${r} → ${delay} ms)`, () => assert.equal(new ReconnectBackoff({ random: () => r }).next(), delay));
  }
  it('starts over after 10 s of media (a camera that streamed 25 s then crashed is retried at once), not after a short session', () => {
    const b = new ReconnectBackoff({ jitter: 0 });
    b.next();
    b.next();
    b.sessionEnded(9_000);
    assert.equal(b.next(), 4000);
    b.sessionEnded(25_000);
    assert.equal(b.next(), 1000);
  });
  it('a camera that is gone (outage) is retried every 500 ms for 10 s (20 times), then exponentially; an error reply backs off at once', () => {
    const b = new ReconnectBackoff({ jitter: 0 });
    assert.deepEqual(Array.from({ length: 23 }, () => b.next(true)), [...Array<number>(20).fill(500), 1000, 2000, 4000]);
    const refused = new ReconnectBackoff({ jitter: 0 });
    assert.deepEqual([refused.next(false), refused.next(false)], [1000, 2000], 'an error reply: exponential from 1 s');
  });
});

describe('RR + SDES compound', () => {
  it('parses back as RR then SDES with 32-bit aligned lengths', () => {
    const block = { ssrc: 9, fractionLost: 3, cumulativeLost: 4, extendedHighestSequence: 5, jitter: 6, lastSenderReport: 7, delaySinceLastSenderReport: 8 };
    const bytes = buildReceiverReportCompound(0xdeadbeef, [block], 'streamgate@127.0.0.1');
    const parts = splitCompound(bytes);
    assert.deepEqual(parts.map((p) => p.header.packetType), [201, 202]);
    assert.deepEqual(parseReceiverReport(parts[0].packet), { ssrc: 0xdeadbeef, reports: [block] });
    assert.equal(bytes.byteLength % 4, 0);
    assert.equal(new TextDecoder().decode(parts[1].packet.subarray(10, 10 + parts[1].packet[9])), 'streamgate@127.0.0.1');
  });
});

describe('describeCamera', () => {
  const gstreamer = [
    'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=Session streamed with GStreamer', 't=0 0', 'a=control:*',
    'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=control:stream=0',
    'm=audio 0 RTP/AVP 97', 'a=rtpmap:97 MPEG4-GENERIC/48000/2', 'a=fmtp:97 streamtype=5;mode=AAC-hbr;config=1190', 'a=control:stream=1', '',
  ].join('\r\n');
  it('keeps H.264 and AAC with their SDP indexes and control URLs (GStreamer)', () => {
    const d = describeCamera(gstreamer, 'rtsp://127.0.0.1:8554/test/');
    assert.equal(d.aggregateUrl, 'rtsp://127.0.0.1:8554/test/');
    assert.deepEqual(d.tracks.map((t) => [t.index, t.codec, t.clockRate, t.controlUrl]), [
      [0, 'H264', 90000, 'rtsp://127.0.0.1:8554/test/stream=0'],
      [1, 'MPEG4-GENERIC', 48000, 'rtsp://127.0.0.1:8554/test/stream=1'],
    ]);
  });
  it('skips PCMA, metadata and static payload types but keeps the media index of H.265', () => {
    const sdp = [
      'v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=Dahua', 't=0 0',
      'm=audio 0 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000', 'a=control:trackID=1',
      'm=application 0 RTP/AVP 107', 'a=rtpmap:107 vnd.onvif.metadata/90000', 'a=control:trackID=4',
      'm=video 0 RTP/AVP 98', 'a=rtpmap:98 H265/90000', 'a=control:trackID=0', '',
    ].join('\r\n');
    const d = describeCamera(sdp, 'rtsp://h/cam/realmonitor?channel=1&subtype=0');
    assert.deepEqual(d.tracks.map((t) => [t.index, t.codec, t.controlUrl]), [[2, 'H265', 'rtsp://h/cam/realmonitor?channel=1&subtype=0/trackID=0']]);
    assert.deepEqual(d.skipped, ['audio PCMA/8000', 'application vnd.onvif.metadata/90000']);
  });
  it('refuses an SDP without any supported track, or no SDP at all', () => {
    assert.throws(() => describeCamera('v=0\r\nm=audio 0 RTP/AVP 0\r\n', 'rtsp://h/'), /no supported track/);
    assert.throws(() => describeCamera('<html>', 'rtsp://h/'), RtspProtocolViolation);
  });
});
