import { SpanKind, context } from '@opentelemetry/api';
import type { Bus, BusHandler, BusMessage, RequestOptions, SubscribeOptions, Subscription } from '../bus/bus';
import { DelegatingBus } from '../bus/delegating-bus';
import { contextFromHeaders, injectTraceHeaders, withSpan } from './tracing';

/**
 * Wraps a Bus so requests carry trace context and their handlers run inside it. Media
 * publishes are untouched (no headers, no spans): tracing stays off the hot path.
 */
export class TracingBus extends DelegatingBus {
  override subscribe(subject: string, handler: BusHandler, options?: SubscribeOptions): Subscription {
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

  override request(subject: string, data: Uint8Array, options: RequestOptions): Promise<BusMessage> {
    return withSpan(`bus.request ${subject}`, { 'messaging.system': this.inner.driver, 'messaging.destination.name': subject },
      () => this.inner.request(subject, data, { ...options, headers: injectTraceHeaders({ ...options.headers }) }),
      { kind: SpanKind.CLIENT, parent: context.active() });
  }

}

/** The driver underneath any wrappers (TracingBus, MeteredBus: each exposes `unwrapped`). */
export function unwrapBus(bus: Bus): Bus {
  const inner = (bus as Partial<{ unwrapped: Bus }>).unwrapped;
  return inner ? unwrapBus(inner) : bus;
}
