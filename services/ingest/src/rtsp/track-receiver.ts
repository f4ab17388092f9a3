/**
 * The one receiver of a set-up track: RTP and RTCP from its UDP socket pair or from its
 * interleaved channels; RTP through an RtpReceiver (reorder window, duplicates, SSRC changes
 * and sequence restarts, reception statistics RFC 3550 A.1/A.3/A.8), on to the media sink in
 * sequence order; and our receiver reports (§6.4.2) back the same way media came, from the same
 * statistics. The packetizer depacketizes what it forwards and does not reorder again.
 */
import type { RemoteInfo } from 'node:dgram';
import {
  ReceptionStats, RtcpError, RtcpPacketType, RtpReceiver, ntpMiddle32, parseSenderReport, splitCompound,
} from '@streamgate/protocol-rtp';
import { BatchedReceive, startBatchedReceive } from '@streamgate/native-udp';
import { CAMERA_READ_TURN, ReadTurn } from '@streamgate/platform';
import type { CameraTrack } from './camera-description';

import { buildReceiverReportCompound } from './receiver-report';
import type { NegotiatedTransport } from './transport-negotiation';
import type { UdpPortPair } from './udp-port-pair';
import { ReadRun, ReadRunMember, UDP_READ_RUN } from './udp-read-run';

/**
 * Media out of the session: `track` is the SDP media index; `packets` may be views. RTP comes in
 * sequence order; `newSource`: its first packet begins a new source (SSRC change, restart).
 */
export type MediaSink = (track: number, rtcp: boolean, packets: Uint8Array[], receivedAt: number, newSource: boolean) => void;

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
  /** Reorder window: packets held for a gap (default 32) and how long (default 100 ms). */
  reorderPackets?: number;
  reorderDelayMs?: number;
  /** RTP arrived at `receivedAt` (time moved: the session lets the other tracks give up old gaps). */
  onRtp?: (from: TrackReceiver, receivedAt: number) => void;
  /**
   * UDP: read RTP in batches through the native module (one recvmmsg per wake-up) when it is
   * built; false keeps node:dgram's per-datagram 'message' events. Default true.
   */
  batchedUdp?: boolean;
  /** UDP: the loop turn reads belong to (read coalescing); default the process's CAMERA_READ_TURN. */
  readTurn?: ReadTurn;
}

function plainAddress(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export class TrackReceiver implements ReadRunMember {
  packets = 0;
  bytes = 0;
  lastPacketAt: number | undefined;
  private readonly peers: Set<string>;
  private readonly now: () => number;
  private strayWarned = false;
  private closed = false;
  private readonly receiver: RtpReceiver;
  /** UDP: released packets wait for the end of the poll pass (ReadRun). */
  private queued = false;
  /** UDP read in batches (native): packets are views into a reused buffer until handed on. */
  private batched: BatchedReceive | undefined;

  constructor(private readonly options: TrackReceiverOptions) {
    this.receiver = new RtpReceiver(
      {
        clockRate: options.track.clockRate, maxPackets: options.reorderPackets, maxDelayMs: options.reorderDelayMs,
        // Packets are views into a reused read buffer (TCP reads, batched UDP): what waits is copied.
        retain: (p) => new Uint8Array(p),
      },
      (packets, receivedAt, newSource) => {
        if (!this.closed) this.options.sink(this.track.index, false, packets, receivedAt, newSource);
      },
    );
    this.peers = new Set(options.peers.map(plainAddress));
    this.now = options.now ?? Date.now;
  }

  /** RFC 3550 reception statistics of the track (every source it had). */
  get stats(): ReceptionStats {
    return this.receiver.stats;
  }

  /** UDP RTP is read in batches by the native module. */
  get batchedUdp(): boolean {
    return this.batched !== undefined;
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
    const turn = this.options.readTurn ?? CAMERA_READ_TURN;
    if (this.options.batchedUdp !== false) {
      this.batched = startBatchedReceive(udp.rtp, [...this.peers], (datagrams, receivedAt) => {
        turn.open();
        this.rtp(datagrams, receivedAt);
      }, {
        onStrays: () => this.warnStray('another sender'),
      });
    }
    const run = this.options.readRun ?? UDP_READ_RUN;
    if (!this.batched) udp.rtp.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      if (!this.fromPeer(rinfo)) return;
      turn.open();
      const now = Date.now();
      if (!this.count(msg, now)) return;
      if (this.receiver.pending && !this.queued) {
        this.queued = true;
        run.queued(this);
      }
      this.options.onRtp?.(this, now);
    });
    udp.rtcp.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      if (this.fromPeer(rinfo)) this.rtcp([msg], Date.now());
    });
    const onError = (err: Error): void => this.options.onDebug(`UDP socket error on track ${this.track.index}: ${err.message}`);
    udp.rtp.on('error', onError);
    udp.rtcp.on('error', onError);
  }

  /** RTP read together (one TCP read): counted and ordered, then handed to the sink as one batch. */
  rtp(packets: Uint8Array[], receivedAt: number): void {
    let valid = 0;
    for (const p of packets) if (this.count(p, receivedAt)) valid++;
    if (valid === 0) return;
    this.receiver.flush();
    this.options.onRtp?.(this, receivedAt);
  }

  /** UDP: the packets this poll pass released, as one batch stamped with the first one's arrival. */
  flushQueued(): void {
    this.queued = false;
    this.receiver.flush();
  }

  /** Time moved on another track: gaps of this one that waited too long are given up. */
  expire(nowMs: number): void {
    this.receiver.expire(nowMs);
    if (!this.queued) this.receiver.flush();
  }

  /** Counts one packet at its arrival (jitter needs each packet's own time); false if it is not RTP. */
  private count(p: Uint8Array, receivedAt: number): boolean {
    if (!this.receiver.receive(p, receivedAt)) return false;
    this.packets++;
    this.bytes += p.byteLength;
    this.lastPacketAt = receivedAt;
    return true;
  }

  rtcp(packets: Uint8Array[], receivedAt: number): void {
    for (const p of packets) this.readSenderReports(p, receivedAt);
    this.options.sink(this.track.index, true, packets, receivedAt, false);
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
    this.batched?.stop();
    this.options.udp?.close();
  }

  private fromPeer(rinfo: RemoteInfo): boolean {
    if (this.peers.has(plainAddress(rinfo.address))) return true;
    this.warnStray(`${rinfo.address}:${rinfo.port}`);
    return false;
  }

  /** Datagrams from a sender that is not the camera are dropped; said once per track. */
  private warnStray(from: string): void {
    if (this.strayWarned) return;
    this.strayWarned = true;
    this.options.onDebug(`ignoring UDP packets from ${from} on track ${this.track.index} (not the camera)`);
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
