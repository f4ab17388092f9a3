/**
 * The message bus every service talks through. Two drivers implement it: the in-process bus
 * (one process, the default) and NATS (distributed). The interface follows NATS semantics so
 * code written against one behaves the same on the other:
 *
 * - subjects are `.`-separated tokens; `*` matches one token, `>` one or more trailing tokens;
 * - subscribers in the same queue group share messages (each goes to one member);
 * - publish is fire-and-forget and delivery is asynchronous (never inside `publish`);
 * - `request` fails fast with BusNoRespondersError when nobody listens, else times out.
 *
 * Payloads are bytes. Receivers must treat `data` as read-only: the in-process driver hands
 * the same buffer to every subscriber (that is what makes fan-out free).
 */
export type BusHeaders = Record<string, string>;

export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers?: BusHeaders;
  readonly reply?: string;
  /** Answers a request; returns false when the message carried no reply subject. */
  respond(data: Uint8Array, headers?: BusHeaders): boolean;
}

export type BusHandler = (msg: BusMessage) => void;

export interface SubscribeOptions {
  /** Queue group: each message is delivered to one subscriber of the group. */
  queue?: string;
}

export interface PublishOptions {
  headers?: BusHeaders;
  reply?: string;
}

export interface RequestOptions {
  timeoutMs: number;
  headers?: BusHeaders;
}

export interface Subscription {
  readonly subject: string;
  unsubscribe(): void;
}

export interface Bus {
  /** Which driver this is, for health reporting: 'in-process' or 'nats'. */
  readonly driver: string;
  publish(subject: string, data: Uint8Array, options?: PublishOptions): void;
  subscribe(subject: string, handler: BusHandler, options?: SubscribeOptions): Subscription;
  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<BusMessage>;
  /** Resolves when everything published so far has been handed to the transport. */
  flush(): Promise<void>;
  /** Largest payload the transport accepts, in bytes. */
  readonly maxPayload: number;
  close(): Promise<void>;
}

export class BusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BusError';
  }
}

export class BusNoRespondersError extends BusError {
  constructor(readonly subject: string) {
    super(`no responders for ${subject}`);
    this.name = 'BusNoRespondersError';
  }
}

export class BusTimeoutError extends BusError {
  constructor(readonly subject: string, readonly timeoutMs: number) {
    super(`request on ${subject} timed out after ${timeoutMs} ms`);
    this.name = 'BusTimeoutError';
  }
}

export class BusPayloadTooLargeError extends BusError {
  constructor(readonly subject: string, readonly size: number, readonly maxPayload: number) {
    super(`payload of ${size} bytes on ${subject} exceeds the bus limit of ${maxPayload} bytes`);
    this.name = 'BusPayloadTooLargeError';
  }
}

export class BusClosedError extends BusError {
  constructor() {
    super('bus is closed');
    this.name = 'BusClosedError';
  }
}

export class InvalidSubjectError extends BusError {
  constructor(readonly subject: string, reason: string) {
    super(`invalid subject ${JSON.stringify(subject)}: ${reason}`);
    this.name = 'InvalidSubjectError';
  }
}
