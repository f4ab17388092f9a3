import type { MsgHdrs, NatsConnection, NatsError, Msg } from 'nats';
import {
  Bus, BusClosedError, BusError, BusHandler, BusHeaders, BusMessage, BusNoRespondersError, BusPayloadTooLargeError,
  BusTimeoutError, PublishOptions, RequestOptions, SubscribeOptions, Subscription,
} from './bus';
import { validateSubject } from './subject-match';

export interface NatsBusOptions {
  /** Comma-separated server URLs (NATS_URL). */
  servers: string;
  /** Connection name shown by the server (`nats-server` monitoring). */
  name?: string;
  /** Called when a handler throws; the bus carries on. */
  onHandlerError?: (err: unknown, subject: string) => void;
  /** Connection state changes, for logging and health. */
  onStatus?: (status: NatsBusStatus) => void;
  /** Give up the first connection after this long. Default 10 s. */
  connectTimeoutMs?: number;
}

export type NatsBusStatus = 'connected' | 'disconnected' | 'reconnecting' | 'closed';

export class BusDisconnectedError extends BusError {
  constructor(readonly subject: string) {
    super(`bus is disconnected from NATS; message on ${subject} not sent`);
    this.name = 'BusDisconnectedError';
  }
}

/**
 * The client library, loaded by the first `NatsBus.connect`: a gateway without NATS_URL (the
 * all-in-one) never loads it (~2.6 MB of RSS).
 */
type NatsClient = typeof import('nats');
let client: NatsClient | undefined;

function toNatsHeaders(nats: NatsClient, h: BusHeaders | undefined): MsgHdrs | undefined {
  if (!h) return undefined;
  const out = nats.headers();
  for (const [k, v] of Object.entries(h)) out.set(k, v);
  return out;
}

function fromNatsHeaders(h: MsgHdrs | undefined): BusHeaders | undefined {
  if (!h) return undefined;
  const out: BusHeaders = {};
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

/**
 * The NATS driver of the Bus. While the connection is down, publishes are dropped and
 * counted instead of buffered: live media is worthless late, and an unbounded buffer is how
 * a gateway runs out of memory during an outage. Requests fail at once with
 * BusDisconnectedError. The client reconnects forever.
 */
export class NatsBus implements Bus {
  readonly driver = 'nats';
  private connected = true;
  private closed = false;
  /** Publishes dropped while disconnected (exposed for metrics). */
  droppedWhileDisconnected = 0;

  private constructor(private readonly nats: NatsClient, private readonly nc: NatsConnection, private readonly options: NatsBusOptions) {
    void this.watchStatus();
  }

  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const nats = (client ??= await import('nats'));
    const nc = await nats.connect({
      servers: options.servers.split(',').map((s) => s.trim()),
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      reconnectJitter: 250,
      pingInterval: 10_000,
      timeout: options.connectTimeoutMs ?? 10_000,
      // Our own drop-while-disconnected policy; the client must not buffer for us.
      reconnect: true,
    });
    return new NatsBus(nats, nc, options);
  }

  /** The client connection, for JetStream (the registry journal); the bus keeps owning it. */
  get connection(): NatsConnection {
    return this.nc;
  }

  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  get isConnected(): boolean {
    return this.connected && !this.closed;
  }

  publish(subject: string, data: Uint8Array, options: PublishOptions = {}): void {
    if (this.closed) throw new BusClosedError();
    validateSubject(subject, false);
    if (data.byteLength > this.maxPayload) throw new BusPayloadTooLargeError(subject, data.byteLength, this.maxPayload);
    if (!this.connected) {
      this.droppedWhileDisconnected++;
      return;
    }
    this.nc.publish(subject, data, { headers: toNatsHeaders(this.nats, options.headers), reply: options.reply });
  }

  subscribe(subject: string, handler: BusHandler, options: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new BusClosedError();
    validateSubject(subject, true);
    const sub = this.nc.subscribe(subject, {
      queue: options.queue,
      callback: (err: NatsError | null, msg: Msg) => {
        if (err) {
          this.options.onHandlerError?.(err, subject);
          return;
        }
        try {
          handler(this.wrap(msg));
        } catch (e) {
          (this.options.onHandlerError ?? ((x: unknown) => process.emitWarning(String(x))))(e, msg.subject);
        }
      },
    });
    return { subject, unsubscribe: () => sub.unsubscribe() };
  }

  async request(subject: string, data: Uint8Array, options: RequestOptions): Promise<BusMessage> {
    if (this.closed) throw new BusClosedError();
    validateSubject(subject, false);
    if (data.byteLength > this.maxPayload) throw new BusPayloadTooLargeError(subject, data.byteLength, this.maxPayload);
    if (!this.connected) throw new BusDisconnectedError(subject);
    try {
      const msg = await this.nc.request(subject, data, { timeout: options.timeoutMs, headers: toNatsHeaders(this.nats, options.headers) });
      return this.wrap(msg);
    } catch (err) {
      const code = (err as NatsError).code;
      const { ErrorCode } = this.nats;
      if (code === ErrorCode.NoResponders) throw new BusNoRespondersError(subject);
      if (code === ErrorCode.Timeout) throw new BusTimeoutError(subject, options.timeoutMs);
      if (code === ErrorCode.Disconnect || code === ErrorCode.ConnectionClosed) throw new BusDisconnectedError(subject);
      throw err;
    }
  }

  async flush(): Promise<void> {
    if (this.closed || !this.connected) return;
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.nc.drain();
    } catch (err) {
      // Draining a connection that is already down fails; closing is what matters.
      this.options.onHandlerError?.(err, '(close)');
      await this.nc.close();
    }
  }

  private wrap(msg: Msg): BusMessage {
    return {
      subject: msg.subject,
      data: msg.data,
      headers: fromNatsHeaders(msg.headers),
      reply: msg.reply || undefined,
      respond: (answer: Uint8Array, h?: BusHeaders): boolean => {
        if (!msg.reply || this.closed || !this.connected) return false;
        return msg.respond(answer, { headers: toNatsHeaders(this.nats, h) });
      },
    };
  }

  private async watchStatus(): Promise<void> {
    const { Events } = this.nats;
    for await (const s of this.nc.status()) {
      if (s.type === Events.Disconnect) {
        this.connected = false;
        this.options.onStatus?.('disconnected');
      } else if (s.type === Events.Reconnect) {
        this.connected = true;
        this.options.onStatus?.('connected');
      }
    }
    this.options.onStatus?.('closed');
  }
}
