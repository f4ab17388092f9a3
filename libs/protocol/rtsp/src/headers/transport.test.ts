import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RtspParseError } from '../base/errors';
import { TransportSpec, formatTransport, parseTransport, parseTransports } from './transport';

/** [source, header value, expected first alternative] */
const TABLE: Array<[string, string, TransportSpec]> = [
  ['ffmpeg 5.1 SETUP tcp (captured)', 'RTP/AVP/TCP;unicast;interleaved=0-1',
    { protocol: 'RTP', profile: 'AVP', lowerTransport: 'TCP', delivery: 'unicast', interleaved: [0, 1] }],
  ['ffmpeg 5.1 SETUP udp (captured)', 'RTP/AVP/UDP;unicast;client_port=15670-15671',
    { protocol: 'RTP', profile: 'AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: [15670, 15671] }],
  ['GStreamer 1.22 rtspsrc udp (captured)', 'RTP/AVP;unicast;client_port=37964-37965',
    { protocol: 'RTP', profile: 'AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: [37964, 37965] }],
  ['live555 server reply (RTSPServer.cpp format)',
    'RTP/AVP;unicast;destination=192.168.1.20;source=192.168.1.10;client_port=53244-53245;server_port=6970-6971',
    { protocol: 'RTP', profile: 'AVP', lowerTransport: 'UDP', delivery: 'unicast', destination: '192.168.1.20', source: '192.168.1.10',
      clientPort: [53244, 53245], serverPort: [6970, 6971] }],
  ['live555 server reply tcp', 'RTP/AVP/TCP;unicast;destination=10.0.0.5;source=10.0.0.2;interleaved=2-3',
    { protocol: 'RTP', profile: 'AVP', lowerTransport: 'TCP', delivery: 'unicast', destination: '10.0.0.5', source: '10.0.0.2', interleaved: [2, 3] }],
  ['mediamtx reply with ssrc', 'RTP/AVP/UDP;unicast;client_port=5000-5001;server_port=8000-8001;ssrc=1D2C3B4A',
    { protocol: 'RTP', profile: 'AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: [5000, 5001], serverPort: [8000, 8001], ssrc: 0x1d2c3b4a }],
  ['RFC 2326 §12.39 multicast example', 'RTP/AVP;multicast;ttl=127;mode="PLAY"',
    { protocol: 'RTP', profile: 'AVP', lowerTransport: 'UDP', delivery: 'multicast', ttl: 127, mode: 'PLAY' }],
  ['single client port', 'RTP/AVP;unicast;client_port=4588',
    { protocol: 'RTP', profile: 'AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: [4588, 4589] }],
  ['record mode lowercase, unknown params ignored', 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record;x-dynamic-rate=1',
    { protocol: 'RTP', profile: 'AVP', lowerTransport: 'TCP', delivery: 'unicast', interleaved: [0, 1], mode: 'RECORD' }],
];

describe('Transport header', () => {
  for (const [source, value, expected] of TABLE) {
    it(`parses ${source}`, () => {
      assert.deepEqual(parseTransport(value), expected);
    });
    it(`round-trips ${source}`, () => {
      assert.deepEqual(parseTransport(formatTransport(expected)), expected);
    });
  }

  it('parses comma-separated alternatives in order (RFC 2326 §12.39)', () => {
    const specs = parseTransports('RTP/AVP;multicast;ttl=127;mode="PLAY",\r\n RTP/AVP;unicast;client_port=3456-3457;mode="PLAY"');
    assert.deepEqual(specs.map((s) => s.delivery), ['multicast', 'unicast']);
    assert.deepEqual(specs[1].clientPort, [3456, 3457]);
  });

  it('formats the server reply gortsplib-style', () => {
    assert.equal(
      formatTransport({ protocol: 'RTP', profile: 'AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: [5000, 5001], serverPort: [8000, 8001], ssrc: 0xabc }),
      'RTP/AVP/UDP;unicast;client_port=5000-5001;server_port=8000-8001;ssrc=00000ABC',
    );
  });

  for (const bad of ['', 'RTP', 'RTP/AVP/SCTP;unicast', 'RTP/AVP;client_port=70000-70001', 'RTP/AVP/TCP;interleaved=300-301', 'RTP/AVP;ssrc=zz', 'RTP/AVP;mode="PLAY']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseTransports(bad), RtspParseError);
    });
  }

  it('never throws anything but RtspParseError (fuzz)', () => {
    const seeds = TABLE.map(([, v]) => v);
    const input = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(fc.constantFrom(...seeds), fc.string({ maxLength: 10 }), fc.nat()).map(([s, ins, pos]) => s.slice(0, pos % (s.length + 1)) + ins + s.slice(pos % (s.length + 1))),
    );
    fc.assert(fc.property(input, (v) => {
      try {
        for (const spec of parseTransports(v)) formatTransport(spec);
      } catch (err) {
        assert.ok(err instanceof RtspParseError || (err instanceof Error && err.name === 'RtspEncodeError'), String(err));
      }
    }), { numRuns: 3000 });
  });
});
