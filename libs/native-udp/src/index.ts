import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Why `sendFanout` stopped before its last datagram (out[STOP]). */
export const FanoutStop = {
  None: 0,
  /** The socket's send buffer is full (EAGAIN): hand the rest to a queueing sender. */
  WouldBlock: 1,
  /** The kernel or device refused a GSO message: send the rest again without GSO. */
  GsoRefused: 2,
} as const;

/** Indices into the `out` Int32Array of `sendFanout` (its length is `resultLength`). */
export const FanoutResult = { Sent: 0, Failed: 1, Next: 2, Errno: 3, Stop: 4, Messages: 5 } as const;

export * from './udp-receive';

/** The compiled module (src/udp_fanout.c, src/udp_receive.c). */
export interface UdpFanoutBinding {
  /** Most packets one `sendFanout` call takes; callers split bigger batches. */
  readonly maxPackets: number;
  /** Bytes of one destination slot: a sockaddr_in or sockaddr_in6; all zero = no destination. */
  readonly destinationBytes: number;
  /** Length of `sendFanout`'s `out` array. */
  readonly resultLength: number;
  /** A non-blocking send-only UDP socket bound to `host:port` with SO_REUSEADDR; returns its fd. */
  openSocket(family: 4 | 6, host: string, port: number): number;
  closeSocket(fd: number): void;
  /** Whether the kernel supports UDP GSO (UDP_SEGMENT) on this socket. */
  supportsGso(fd: number): boolean;
  /** Writes `host:port` (an IP literal) as a destination slot; false if it is not one of `family`. */
  writeAddress(family: 4 | 6, host: string, port: number, into: Uint8Array, offset: number): boolean;
  /**
   * Sends every packet p to every reader r that has a destination for slot `slots[p]` in
   * `destinations[(r * slotsPerReader + slots[p]) * destinationBytes]`, reader by reader, in
   * as few sendmmsg(2) calls as fit. Datagrams are numbered in that order; `start` skips the
   * first ones. `out` gets datagrams sent, datagrams failed, the next unhandled datagram, the
   * last errno, a `FanoutStop` and the messages the kernel took (one per GSO run).
   */
  sendFanout(
    fd: number, packets: readonly Uint8Array[], slots: Uint8Array, destinations: Uint8Array,
    slotsPerReader: number, readers: number, start: number, gso: boolean, out: Int32Array,
  ): void;
  /** Most datagrams one `receiverRead` takes. */
  readonly maxReceive: number;
  /** Bytes of one source address `receiverRead` writes (IPv6; IPv4 v4-mapped). */
  readonly sourceBytes: number;
  /**
   * Watches a duplicate of `fd` (a bound UDP socket) for datagrams: `callback` runs once per
   * wake-up while any wait. Returns the receiver handle.
   */
  receiverStart(fd: number, callback: (status: number) => void): unknown;
  /**
   * recvmmsg(2): up to `max` datagrams into `buffer` (datagram i at i × slotBytes), their sizes
   * into `lengths` (-1: longer than a slot) and senders into `sources`; returns how many.
   */
  receiverRead(receiver: unknown, buffer: Uint8Array, slotBytes: number, lengths: Int32Array, sources: Uint8Array, max: number): number;
  /** Stops watching and closes the duplicate descriptor (idempotent). */
  receiverStop(receiver: unknown): void;
}

export type UdpFanoutLoad = { binding: UdpFanoutBinding; path: string } | { binding: undefined; reason: string };

const MODULE_FILE = join('build', 'Release', 'udp_fanout.node');

/** Where the compiled module may be: beside the sources, or copied beside the compiled JS (dist). */
function candidates(): string[] {
  return [join(__dirname, '..', MODULE_FILE), join(__dirname, '..', '..', '..', '..', 'libs', 'native-udp', MODULE_FILE)];
}

let loaded: UdpFanoutLoad | undefined;

/**
 * Loads the native module once. It is optional: without it (not Linux, no compiler at build
 * time, or `STREAMGATE_NATIVE_UDP=off`) callers send with node:dgram, which is correct and slower.
 */
export function loadUdpFanout(env: NodeJS.ProcessEnv = process.env): UdpFanoutLoad {
  if (env.STREAMGATE_NATIVE_UDP === 'off') return { binding: undefined, reason: 'disabled by STREAMGATE_NATIVE_UDP=off' };
  if (loaded) return loaded;
  if (process.platform !== 'linux') return (loaded = { binding: undefined, reason: `not built on ${process.platform} (sendmmsg is Linux-only)` });
  const path = candidates().find((p) => existsSync(p));
  if (!path) return (loaded = { binding: undefined, reason: 'not built (npm run build compiles it with node-gyp; see libs/native-udp/build.mjs)' });
  try {
    // A native module cannot be imported statically; its shape is checked below.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = require(path) as Partial<UdpFanoutBinding>;
    if (typeof binding.sendFanout !== 'function' || typeof binding.openSocket !== 'function' || typeof binding.maxPackets !== 'number') {
      return (loaded = { binding: undefined, reason: `${path} does not export the expected functions` });
    }
    return (loaded = { binding: binding as UdpFanoutBinding, path });
  } catch (err) {
    return (loaded = { binding: undefined, reason: `${path} failed to load: ${(err as Error).message}` });
  }
}
