/**
 * A NestJS microservices transport (`CustomTransportStrategy`) over the project's Bus, so
 * `@MessagePattern` / `@EventPattern` handlers run on the in-process bus and on NATS alike:
 * the bus driver is chosen by configuration, the handlers never know which one they have.
 *
 * Patterns are bus subjects from libs/contracts (wildcards allowed). Payloads are the bus's
 * bytes, untouched: a handler decodes its request with the contracts' schemas and returns the
 * encoded reply (`Uint8Array`, or a Promise/Observable of one). Returning `undefined` sends no
 * reply — an instance that does not own the stream stays silent so the owner answers — or the
 * handler answers later itself through `BusContext.getMessage().respond`. A handler that throws
 * answers `BusErrorReply {error, code: 500}` (`RpcException` keeps its message).
 *
 * By default a pattern is subscribed when the app listens. With the extra
 * `{ attach: 'on-demand' }` it is not: the service calls `attach(pattern, subject)` for the
 * concrete subjects it owns (the packetizer's per-stream leases) and unsubscribes on release.
 * `{ queue: 'name' }` makes the subscription a queue group member.
 */
import { CustomTransportStrategy, MessageHandler, RpcException, Server } from '@nestjs/microservices';
import { BusErrorReply, encodeJson } from '@streamgate/contracts';
import { isObservable, lastValueFrom } from 'rxjs';
import type { Bus, BusMessage, Subscription } from '../bus/bus';
import type { Logger } from '../logging/logger';
import { BusContext } from './bus-context';

export interface BusPatternExtras {
  /** 'listen' (default): subscribed when the app listens; 'on-demand': only through attach(). */
  attach?: 'listen' | 'on-demand';
  /** Queue group of the subscription. */
  queue?: string;
}

export class BusTransport extends Server implements CustomTransportStrategy {
  private readonly subscriptions = new Set<Subscription>();

  constructor(private readonly bus: Bus, private readonly log?: Logger) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    for (const [pattern, handler] of this.messageHandlers) {
      if (extrasOf(handler).attach !== 'on-demand') this.attach(pattern);
    }
    callback();
  }

  /**
   * Subscribes `subject` (default: the pattern itself) and dispatches its messages to the
   * handler registered for `pattern`. Unsubscribe the result to detach.
   */
  attach(pattern: string, subject: string = pattern): Subscription {
    const handler = this.messageHandlers.get(pattern);
    if (!handler) throw new Error(`no @MessagePattern or @EventPattern handler for ${pattern}`);
    const sub = this.bus.subscribe(subject, (msg) => void this.dispatch(pattern, handler, msg), { queue: extrasOf(handler).queue });
    this.subscriptions.add(sub);
    return {
      subject: sub.subject,
      unsubscribe: () => {
        this.subscriptions.delete(sub);
        sub.unsubscribe();
      },
    };
  }

  close(): void {
    for (const sub of this.subscriptions) sub.unsubscribe();
    this.subscriptions.clear();
  }

  on(): never {
    throw new Error('the bus transport emits no events');
  }

  unwrap<T>(): T {
    return this.bus as T;
  }

  private async dispatch(pattern: string, handler: MessageHandler, msg: BusMessage): Promise<void> {
    const ctx = new BusContext(msg);
    if (handler.isEventHandler) {
      await this.handleEvent(pattern, { pattern, data: msg.data }, ctx);
      return;
    }
    let reply: unknown;
    try {
      const result: unknown = await handler(msg.data, ctx);
      reply = isObservable(result) ? await lastValueFrom(result, { defaultValue: undefined }) : result;
    } catch (err) {
      const message = errorMessage(err);
      this.log?.warn({ subject: msg.subject, err: message }, 'control request failed');
      if (msg.reply) msg.respond(encodeJson(BusErrorReply, { error: message.slice(0, 500), code: 500 }));
      return;
    }
    if (reply === undefined) return;
    if (!(reply instanceof Uint8Array)) {
      this.log?.error({ subject: msg.subject, pattern }, 'a bus handler must return bytes (encode the reply with contracts)');
      if (msg.reply) msg.respond(encodeJson(BusErrorReply, { error: 'internal error', code: 500 }));
      return;
    }
    if (!msg.respond(reply)) this.log?.debug({ subject: msg.subject }, 'request without reply subject');
  }
}

/**
 * Nest's RPC exception filter turns what a handler throws into `{status: 'error', message}`
 * (an RpcException's message, or "Internal server error" for anything else).
 */
function errorMessage(err: unknown): string {
  if (err instanceof RpcException) return String(err.getError());
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') return (err as { message: string }).message;
  return String(err);
}

function extrasOf(handler: MessageHandler): BusPatternExtras {
  return (handler.extras ?? {}) as BusPatternExtras;
}
