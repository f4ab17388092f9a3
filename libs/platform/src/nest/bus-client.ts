import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import type { Bus } from '../bus/bus';

export interface BusClientOptions {
  /** Reply deadline of `send`; BusTimeoutError after it. */
  timeoutMs: number;
}

/**
 * The client side of the bus transport: `send(subject, bytes)` is a bus request whose reply
 * bytes the Observable emits, `emit(subject, bytes)` a publish. Errors are the bus's own
 * (BusNoRespondersError, BusTimeoutError). Payloads are bytes encoded with the contracts.
 */
export class BusClientProxy extends ClientProxy {
  constructor(private readonly bus: Bus, private readonly options: BusClientOptions) {
    super();
  }

  async connect(): Promise<void> {
    // The bus is connected by the service context; nothing to do per client.
  }

  close(): void {
    // The bus belongs to the service context, which closes it.
  }

  unwrap<T>(): T {
    return this.bus as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let cancelled = false;
    this.bus.request(subjectOf(packet), bytesOf(packet), { timeoutMs: this.options.timeoutMs }).then(
      (reply) => {
        if (!cancelled) callback({ response: reply.data, isDisposed: true });
      },
      (err: unknown) => {
        if (!cancelled) callback({ err, isDisposed: true });
      },
    );
    return () => {
      cancelled = true;
    };
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    this.bus.publish(subjectOf(packet), bytesOf(packet));
    return undefined as T;
  }

  /** Errors reach the caller as thrown: the bus error classes, not a serialized copy. */
  protected override serializeError(err: unknown): unknown {
    return err;
  }
}

function subjectOf(packet: ReadPacket): string {
  if (typeof packet.pattern !== 'string') throw new TypeError('bus patterns are subjects (strings)');
  return packet.pattern;
}

function bytesOf(packet: ReadPacket): Uint8Array {
  if (!(packet.data instanceof Uint8Array)) throw new TypeError('bus payloads are bytes: encode them with the contracts');
  return packet.data;
}
