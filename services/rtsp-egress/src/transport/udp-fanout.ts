import type { Socket, SocketType } from 'node:dgram';
import type { Logger } from '@streamgate/platform';
import { FanoutResult, FanoutStop, UdpFanoutBinding, loadUdpFanout } from '@streamgate/native-udp';
import type { AccessUnitBatch } from '../fanout/access-unit-batch';
import type { FanoutGroup, FanoutReader } from '../fanout/fanout-reader';

/**
 * Destination slots per reader: track ids below this are sent natively; a batch holding a
 * higher track id (a camera with more than 16 tracks) goes through node:dgram.
 */
export const MAX_NATIVE_TRACKS = 16;

/** What happened to datagrams of the batched sender, counted per batch (a metric). */
export type UdpDatagramOutcome = 'sent' | 'queued' | 'failed';
export type UdpDatagramCounter = (outcome: UdpDatagramOutcome, datagrams: number) => void;

export interface UdpFanoutOptions {
  /** Counts datagrams by outcome (the streamgate_egress_udp_datagrams_total metric). */
  countDatagrams?: UdpDatagramCounter;
  /** Packets per native call, at most the module's `maxPackets` (tests lower it). */
  maxPacketsPerCall?: number;
  /** Read for STREAMGATE_NATIVE_UDP and STREAMGATE_UDP_GSO. */
  env?: NodeJS.ProcessEnv;
}

/** One reader's RTP address for one track, as the native module takes it. */
export interface UdpDestination {
  readonly address: string;
  readonly port: number;
  /** A sockaddr as the module writes it (`destinationBytes` long). */
  readonly sockaddr: Uint8Array;
}

/** A readers array as the sender uses it, built when the array is first sent to. */
interface PreparedReaders {
  /** `MAX_NATIVE_TRACKS` sockaddr slots per reader, in the readers' order. */
  readonly destinations: Uint8Array;
  /** Track id → how many of the readers take it (the bytes a batch sends). */
  readonly takers: ReadonlyMap<number, number>;
}

/**
 * The UDP readers of every stream, served by batched sends from one socket bound to the shared
 * RTP port: for each batch of access units, one sendmmsg(2) carries every datagram to every
 * reader (reader by reader, so each reader's unit leaves back to back), and with UDP GSO a
 * unit's run of equal-sized FU-A fragments to one reader is one buffer through the stack.
 * node:dgram, by contrast, costs a system call and a request object per datagram, the bulk of
 * the fan-out's cost at hundreds of readers (docs/benchmarks.md, "RTSP fan-out").
 *
 * Datagrams are not queued here: when the socket's send buffer is full the rest of the batch
 * goes to the shared dgram socket, which queues in libuv, and later batches follow it there
 * until it has sent them all, so no reader's datagrams overtake each other; a destination the
 * kernel refuses loses that datagram only, as UDP would.
 */
export class UdpFanout implements FanoutGroup {
  private readonly out: Int32Array;
  private readonly members = new WeakMap<FanoutReader, ReadonlyMap<number, UdpDestination>>();
  private readonly prepared = new WeakMap<readonly FanoutReader[], PreparedReaders>();
  private fd: number;
  /** Datagrams handed to the queueing socket that it has not sent yet (its callback not run). */
  private queuedUnsent = 0;
  private readonly onQueuedSent = (err: Error | null): void => {
    this.queuedUnsent--;
    // A destination the kernel refused, as a native send counts it (no log line per datagram).
    if (err) this.counted('failed', 1);
  };

  private constructor(
    private readonly binding: UdpFanoutBinding,
    fd: number,
    private readonly family: 4 | 6,
    private gso: boolean,
    private readonly queueing: Socket,
    private readonly logger: Logger,
    private readonly count: UdpDatagramCounter | undefined,
    private readonly maxPacketsPerCall: number,
  ) {
    this.fd = fd;
    this.out = new Int32Array(binding.resultLength);
  }

  /**
   * A batched sender on `host:port` beside `queueing` (the dgram socket bound there with
   * SO_REUSEADDR), or undefined when the native module is unavailable: then readers are served
   * through node:dgram. `STREAMGATE_UDP_GSO=off` keeps sendmmsg but not GSO.
   */
  static open(type: SocketType, host: string, port: number, queueing: Socket, logger: Logger, options: UdpFanoutOptions = {}): UdpFanout | undefined {
    const env = options.env ?? process.env;
    const load = loadUdpFanout(env);
    if (!load.binding) {
      logger.info({ reason: load.reason }, 'UDP readers served through node:dgram (no batched sends)');
      return undefined;
    }
    const family = type === 'udp6' ? 6 : 4;
    let fd: number;
    try {
      fd = load.binding.openSocket(family, host, port);
    } catch (err) {
      logger.warn({ err, host, port }, 'no batched UDP socket; UDP readers served through node:dgram');
      return undefined;
    }
    const gso = env.STREAMGATE_UDP_GSO !== 'off' && load.binding.supportsGso(fd);
    logger.debug({ port, gso }, 'UDP readers served by batched sends (sendmmsg)');
    const max = load.binding.maxPackets;
    const perCall = Math.min(max, Math.max(1, options.maxPacketsPerCall ?? max));
    return new UdpFanout(load.binding, fd, family, gso, queueing, logger, options.countDatagrams, perCall);
  }

  /** The destination `address:port` (an IP literal), or undefined if this socket cannot reach it. */
  destination(address: string, port: number): UdpDestination | undefined {
    const sockaddr = new Uint8Array(this.binding.destinationBytes);
    return this.binding.writeAddress(this.family, address, port, sockaddr, 0) ? { address, port, sockaddr } : undefined;
  }

  /** Makes `reader` a member, sent to `tracks` (track id → its RTP destination). */
  join(reader: FanoutReader, tracks: ReadonlyMap<number, UdpDestination>): void {
    this.members.set(reader, tracks);
  }

  /** Whether runs of equal-sized fragments go as one GSO buffer (off by env, kernel or refusal). */
  get usesGso(): boolean {
    return this.gso;
  }

  writeBatch(batch: AccessUnitBatch, readers: readonly FanoutReader[]): number {
    if (this.fd < 0 || readers.length === 0) return 0;
    const flat = batch.flat();
    if (flat.packets.length === 0) return 0;
    const prepared = this.prepare(readers);
    if (flat.maxTrack >= MAX_NATIVE_TRACKS) {
      this.queueFrom(0, flat.packets, flat.tracks, readers);
    } else {
      // In calls of at most maxPacketsPerCall packets (a long GOP replay of a high-bitrate stream
      // takes several). A call is native only while nothing of ours waits in the queueing socket
      // (an earlier call met a full send buffer, or a track past the native slots went there):
      // sent natively, it would reach its readers ahead of those datagrams.
      const n = this.maxPacketsPerCall;
      const whole = flat.packets.length <= n;
      for (let i = 0; i < flat.packets.length; i += n) {
        const packets = whole ? flat.packets : flat.packets.slice(i, i + n);
        const tracks = whole ? flat.tracks : flat.tracks.subarray(i, i + n);
        if (this.queuedUnsent > 0) this.queueFrom(0, packets, tracks, readers);
        else this.sendNative(packets, tracks, readers, prepared.destinations);
      }
    }
    // Per track, not per reader: a batch to 200 readers is not 200 map lookups.
    let bytes = 0;
    for (const [track, readerCount] of prepared.takers) bytes += readerCount * (flat.bytesByTrack.get(track) ?? 0);
    return bytes;
  }

  close(): void {
    const fd = this.fd;
    if (fd < 0) return;
    this.fd = -1;
    this.binding.closeSocket(fd);
  }

  private sendNative(packets: Uint8Array[], tracks: Uint8Array, readers: readonly FanoutReader[], destinations: Uint8Array): void {
    const out = this.out;
    let start = 0;
    for (;;) {
      this.binding.sendFanout(this.fd, packets, tracks, destinations, MAX_NATIVE_TRACKS, readers.length, start, this.gso, out);
      this.counted('sent', out[FanoutResult.Sent]);
      this.counted('failed', out[FanoutResult.Failed]);
      const stop = out[FanoutResult.Stop];
      if (stop === FanoutStop.GsoRefused && this.gso) {
        this.gso = false;
        this.logger.warn({ errno: out[FanoutResult.Errno] }, 'UDP GSO refused by the kernel; batched sends go on without it');
        start = out[FanoutResult.Next];
        continue;
      }
      if (stop !== FanoutStop.None) this.queueFrom(out[FanoutResult.Next], packets, tracks, readers);
      return;
    }
  }

  private counted(outcome: UdpDatagramOutcome, datagrams: number): void {
    if (datagrams > 0) this.count?.(outcome, datagrams);
  }

  /** Sends datagrams from number `first` on (reader-major, as sendFanout numbers them) via dgram. */
  private queueFrom(first: number, packets: readonly Uint8Array[], tracks: Uint8Array, readers: readonly FanoutReader[]): void {
    let n = 0;
    let queued = 0;
    for (const reader of readers) {
      const destinations = this.members.get(reader);
      if (!destinations) continue;
      for (let p = 0; p < packets.length; p++) {
        const destination = destinations.get(tracks[p]);
        if (!destination) continue;
        if (n++ < first) continue;
        this.queueing.send(packets[p], destination.port, destination.address, this.onQueuedSent);
        queued++;
      }
    }
    this.queuedUnsent += queued;
    this.counted('queued', queued);
  }

  /** Every reader's destination slots and how many readers take each track, built once per readers array. */
  private prepare(readers: readonly FanoutReader[]): PreparedReaders {
    let prepared = this.prepared.get(readers);
    if (prepared) return prepared;
    const slot = this.binding.destinationBytes;
    const stride = MAX_NATIVE_TRACKS * slot;
    const destinations = new Uint8Array(readers.length * stride);
    const takers = new Map<number, number>();
    readers.forEach((reader, r) => {
      const tracks = this.members.get(reader);
      if (!tracks) return;
      for (const [track, destination] of tracks) {
        takers.set(track, (takers.get(track) ?? 0) + 1);
        if (track < MAX_NATIVE_TRACKS) destinations.set(destination.sockaddr, r * stride + track * slot);
      }
    });
    prepared = { destinations, takers };
    this.prepared.set(readers, prepared);
    return prepared;
  }
}
