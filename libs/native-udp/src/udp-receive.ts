/**
 * Camera RTP off a node:dgram socket in batches: the socket stays dgram's (bound, closed and
 * reported by it), its reading moves to the native module, which takes every waiting datagram
 * with one recvmmsg(2) and calls back once per wake-up (src/udp_receive.c). Without the module
 * (or the socket's descriptor) callers keep dgram's 'message' events.
 */
import type { Socket } from 'node:dgram';
import { addressBytes } from '@streamgate/access';
import { UdpFanoutBinding, loadUdpFanout } from './index';

/** Largest UDP payload: no datagram is ever cut (pages of the slots are touched only as used). */
const SLOT_BYTES = 65_536;

/** The datagrams of one wake-up; views valid only during the call (copy what is kept). */
export type DatagramBatch = (datagrams: Uint8Array[], receivedAt: number) => void;

export interface BatchedReceive {
  /** Datagrams dropped: from a sender not allowed, or not one whole datagram. */
  readonly strays: number;
  stop(): void;
}

interface SharedBuffers {
  buffer: Uint8Array;
  lengths: Int32Array;
  sources: Uint8Array;
}

let shared: SharedBuffers | undefined;

/** One set of buffers for the process: every read is consumed before the next one starts. */
function buffers(binding: UdpFanoutBinding): SharedBuffers {
  shared ??= {
    buffer: new Uint8Array(binding.maxReceive * SLOT_BYTES),
    lengths: new Int32Array(binding.maxReceive),
    sources: new Uint8Array(binding.maxReceive * binding.sourceBytes),
  };
  return shared;
}

/** An IP literal as the module writes senders: 16 bytes, IPv4 v4-mapped (RFC 4291 §2.5.5.2). */
export function sourceAddressBytes(address: string): Uint8Array | undefined {
  const bytes = addressBytes(address);
  if (!bytes || bytes.length === 16) return bytes;
  const mapped = new Uint8Array(16);
  mapped[10] = 0xff;
  mapped[11] = 0xff;
  mapped.set(bytes, 12);
  return mapped;
}

function sameSource(sources: Uint8Array, at: number, allowed: readonly Uint8Array[]): boolean {
  for (const a of allowed) {
    let i = 0;
    while (i < 16 && sources[at + i] === a[i]) i++;
    if (i === 16) return true;
  }
  return false;
}

type DgramHandle = { fd?: unknown; recvStop?: () => number };

/**
 * node:dgram keeps its descriptor and its reading on an internal handle, in a state record under
 * a symbol (Node 12+; the `_handle` getter reads the same but warns DEP0112).
 */
function dgramHandle(socket: Socket): DgramHandle | undefined {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const record = state === undefined ? undefined : (Reflect.get(socket, state) as { handle?: DgramHandle } | undefined);
  return record?.handle ?? undefined;
}

export interface BatchedReceiveOptions {
  /** Told once per wake-up that dropped datagrams (their count since the last call). */
  onStrays?: (count: number) => void;
  /** Where STREAMGATE_NATIVE_UDP is read (tests). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Moves `socket`'s reading to batched native receives, keeping datagrams from `peers` (IP
 * literals) only. Undefined when that cannot be done here: callers listen for 'message'.
 */
export function startBatchedReceive(socket: Socket, peers: readonly string[], onBatch: DatagramBatch, options: BatchedReceiveOptions = {}): BatchedReceive | undefined {
  const binding = loadUdpFanout(options.env ?? process.env).binding;
  const handle = dgramHandle(socket);
  if (!binding || typeof binding.receiverStart !== 'function' || !handle || typeof handle.fd !== 'number' || handle.fd < 0 || typeof handle.recvStop !== 'function') return undefined;
  const allowed = peers.map(sourceAddressBytes).filter((a): a is Uint8Array => a !== undefined);
  const b = buffers(binding);
  const max = binding.maxReceive;
  let strays = 0;
  let stopped = false;
  const read = (): void => {
    for (;;) {
      if (stopped) return;
      const n = binding.receiverRead(receiver, b.buffer, SLOT_BYTES, b.lengths, b.sources, max);
      if (n === 0) return;
      const receivedAt = Date.now();
      const datagrams: Uint8Array[] = [];
      for (let i = 0; i < n; i++) {
        const length = b.lengths[i];
        if (length < 0 || !sameSource(b.sources, i * 16, allowed)) continue;
        datagrams.push(b.buffer.subarray(i * SLOT_BYTES, i * SLOT_BYTES + length));
      }
      if (datagrams.length < n) {
        strays += n - datagrams.length;
        options.onStrays?.(n - datagrams.length);
      }
      if (datagrams.length > 0) onBatch(datagrams, receivedAt);
      if (n < max) return;
    }
  };
  const receiver = binding.receiverStart(handle.fd, read);
  handle.recvStop.call(handle);
  socket.once('close', () => {
    stopped = true;
    binding.receiverStop(receiver);
  });
  return {
    get strays() {
      return strays;
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      binding.receiverStop(receiver);
    },
  };
}
