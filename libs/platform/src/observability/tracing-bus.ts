import { SpanKind, context } from '@opentelemetry/api';
import type { Bus, BusHandler, BusMessage, PublishOptions, RequestOptions, SubscribeOptions, Subscription } from '../bus/bus';
import { contextFromHeaders, injectTraceHeaders, withSpan } from './tracing';

/**
 * Wraps a Bus so requests carry trace context and their handlers run inside it. Media
 * publishes are untouched (no headers, no spans): tracing stays off the hot path.
 */
export class TracingBus implements Bus {
  constructor(private readonly inner: Bus) {}

  get driver(): string {
    return this.inner.driver;
  }

  get maxPayload(): number {
    return this.inner.maxPayload;
  }

  /** The wrapped driver, for health checks that need driver specifics. */
  get unwrapped(): Bus {
    return this.inner;
  }

  publish(subject: string, data: Uint8Array, options?: PublishOptions): void {
    this.inner.publish(subject, data, options);
  }

  subscribe(subject: string, handler: BusHandler, options?: SubscribeOptions): Subscription {
    return this.inner.subscribe(subject, (msg: BusMessage) => {
      if (!msg.headers?.traceparent) {
        handler(msg);
        return;
      }
      const parent = contextFromHeaders(msg.headers);
      void withSpan(`bus.handle ${subject}`, { 'messaging.system': this.inner.driver, 'messaging.destination.name': msg.subject },
        async () => handler(msg), { kind: SpanKind.CONSUMER, parent });
    }, options);
  }

  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<BusMessage> {
    return withSpan(`bus.request ${subject}`, { 'messaging.system': this.inner.driver, 'messaging.destination.name': subject },
      () => this.inner.request(subject, data, { ...options, headers: injectTraceHeaders({ ...options.headers }) }),
      { kind: SpanKind.CLIENT, parent: context.active() });
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The driver underneath any wrappers. */
export function unwrapBus(bus: Bus): Bus {
  return bus instanceof TracingBus ? unwrapBus(bus.unwrapped) : bus;
}
