/**
 * Receives one set-up track: RTP and RTCP from its UDP socket pair or from its interleaved
 * channels, keeps reception statistics (RFC 3550 A.1/A.8), forwards what it got to the media
 * sink, and sends our receiver reports back (§6.4.2) the same way media came.
 */
import type { RemoteInfo } from 'node:dgram';
import {
  RTP_FIXED_HEADER_SIZE, RTP_VERSION, ReceptionStats, RtcpError, RtcpPacketType, ntpMiddle32, parseSenderReport, rtpSequenceNumber, rtpSsrc, rtpTimestamp, splitCompound,
} from '@streamgate/protocol-rtp';
import type { CameraTrack } from './camera-description';

import { buildReceiverReportCompound } from './receiver-report';
import type { NegotiatedTransport } from './transport-negotiation';
import type { UdpPortPair } from './udp-port-pair';
import { ReadRun, ReadRunMember, UDP_READ_RUN } from './udp-read-run';

/** Media out of the session: `track` is the SDP media index; `packets` may be views. */
export type MediaSink = (track: number, rtcp: boolean, packets: Uint8Array[], receivedAt: number) => void;

export interface TrackReceiverOptions {
  track: CameraTrack;
  transport: NegotiatedTransport;
  /** UDP only: our bound pair. */
  udp?: UdpPortPair;
  /** UDP only: addresses media may come from (the camera, its `source=`). */
  peers: string[];
  /** TCP only: writes an interleaved frame on the control connection. */
  sendInterleaved?: (channel: number, data: Uint8Array) => void;
  sink: MediaSink;
  /** Our SSRC and CNAME in receiver reports. */
  ssrc: number;
  cname: string;
  onDebug: (message: string) => void;
  now?: () => number;
  /** UDP only: where datagrams read in one poll pass are gathered (default: the process's one). */
  readRun?: ReadRun;
}

function plainAddress(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export class TrackReceiver implements ReadRunMember {
  readonly stats: ReceptionStats;
  packets = 0;
  bytes = 0;
  lastPacketAt: number | undefined;
  private readonly peers: Set<string>;
  private readonly now: () => number;
  private strayWarned = false;
  private closed = false;
  /** UDP: RTP datagrams read in this poll pass, not yet handed to the sink (ReadRun). */
  private queuedRtp: Uint8Array[] = [];
  private queuedAt = 0;

  constructor(private readonly options: TrackReceiverOptions) {
    this.stats = new ReceptionStats(options.track.clockRate);
    this.peers = new Set(options.peers.map(plainAddress));
    this.now = options.now ?? Date.now;
  }

  get track(): CameraTrack {
    return this.options.track;
  }

  get transport(): NegotiatedTransport {
    return this.options.transport;
  }

  /** Starts listening on the UDP pair (TCP frames are pushed in by the session). */
  listen(): void {
    const udp = this.options.udp;
    if (!udp) return;
    const run = this.options.readRun ?? UDP_READ_RUN;
    udp.rtp.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      if (!this.fromPeer(rinfo)) return;
      const now = Date.now();
      if (!this.count(msg, now)) return;
      if (this.queuedRtp.length === 0) {
        this.queuedAt = now;
        run.queued(this);
      }
      this.queuedRtp.push(msg);
    });
    udp.rtcp.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      if (this.fromPeer(rinfo)) this.rtcp([msg], Date.now());
    });
    const onError = (err: Error): void => this.options.onDebug(`UDP socket error on track ${this.track.index}: ${err.message}`);
    udp.rtp.on('error', onError);
    udp.rtcp.on('error', onError);
  }

  /** RTP read together (one TCP read): counted, then handed to the sink as one batch. */
  rtp(packets: Uint8Array[], receivedAt: number): void {
    let valid = 0;
    for (const p of packets) if (this.count(p, receivedAt)) valid++;
    if (valid === 0) return;
    this.options.sink(this.track.index, false, packets, receivedAt);
  }

  /** UDP: the datagrams of this poll pass as one batch, stamped with the first one's arrival. */
  flushQueued(): void {
    const packets = this.queuedRtp;
    if (packets.length === 0) return;
    this.queuedRtp = [];
    if (!this.closed) this.options.sink(this.track.index, false, packets, this.queuedAt);
  }

  /** Counts one packet at its arrival (jitter needs each packet's own time); false if it is not RTP. */
  private count(p: Uint8Array, receivedAt: number): boolean {
    // RFC 3550 §5.1: version 2 and a whole fixed header, else it is not RTP for us.
    if (p.byteLength < RTP_FIXED_HEADER_SIZE || p[0] >> 6 !== RTP_VERSION) return false;
    this.packets++;
    this.bytes += p.byteLength;
    this.lastPacketAt = receivedAt;
    this.stats.receive(rtpSsrc(p), rtpSequenceNumber(p), rtpTimestamp(p), receivedAt);
    return true;
  }

  rtcp(packets: Uint8Array[], receivedAt: number): void {
    for (const p of packets) this.readSenderReports(p, receivedAt);
    this.options.sink(this.track.index, true, packets, receivedAt);
  }

  /** Sends an RR for this track (RFC 3550 §6.4.2); also opens NAT pinholes on UDP. */
  sendReceiverReport(): void {
    const block = this.stats.reportBlock(this.now());
    const report = buildReceiverReportCompound(this.options.ssrc, block ? [block] : [], this.options.cname);
    const { transport, udp } = this.options;
    if (transport.lower === 'tcp') {
      if (transport.channels) this.options.sendInterleaved?.(transport.channels[1], report);
      return;
    }
    const host = transport.source ?? [...this.peers][0];
    if (!udp || !transport.serverPorts || host === undefined) return;
    udp.rtcp.send(report, transport.serverPorts[1], host, (err) => {
      if (err) this.options.onDebug(`RTCP send failed on track ${this.track.index}: ${err.message}`);
    });
  }

  close(): void {
    this.closed = true;
    this.queuedRtp = [];
    this.options.udp?.close();
  }

  private fromPeer(rinfo: RemoteInfo): boolean {
    if (this.peers.has(plainAddress(rinfo.address))) return true;
    if (!this.strayWarned) {
      this.strayWarned = true;
      this.options.onDebug(`ignoring UDP packets from ${rinfo.address}:${rinfo.port} on track ${this.track.index} (not the camera)`);
    }
    return false;
  }

  private readSenderReports(packet: Uint8Array, receivedAt: number): void {
    try {
      for (const { header, packet: p } of splitCompound(packet)) {
        if (header.packetType !== RtcpPacketType.SenderReport) continue;
        const sr = parseSenderReport(p);
        this.stats.senderReport(sr.ssrc, ntpMiddle32(sr.ntp), receivedAt);
      }
    } catch (err) {
      if (!(err instanceof RtcpError)) throw err;
      this.options.onDebug(`unparsable RTCP on track ${this.track.index}: ${err.message}`);
    }
  }
}
