import type { Bus, BusHandler, BusMessage, PublishOptions, RequestOptions, SubscribeOptions, Subscription } from './bus';

/**
 * A Bus that hands every call to the one it wraps: the base of the wrappers (tracing,
 * metering), which override only what they add to. `unwrapped` lets health checks reach the
 * driver underneath (unwrapBus).
 */
export abstract class DelegatingBus implements Bus {
  constructor(protected readonly inner: Bus) {}

  get driver(): string {
    return this.inner.driver;
  }

  get maxPayload(): number {
    return this.inner.maxPayload;
  }

  /** The wrapped bus. */
  get unwrapped(): Bus {
    return this.inner;
  }

  publish(subject: string, data: Uint8Array, options?: PublishOptions): void {
    this.inner.publish(subject, data, options);
  }

  subscribe(subject: string, handler: BusHandler, options?: SubscribeOptions): Subscription {
    return this.inner.subscribe(subject, handler, options);
  }

  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<BusMessage> {
    return this.inner.request(subject, data, options);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
