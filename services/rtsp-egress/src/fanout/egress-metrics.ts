import type { MetricsCatalog } from '@streamgate/platform';
import type { FanoutStats } from './stream-fanout';

/**
 * Feeds the process's metrics from the fan-outs: reader gauges and sent/dropped counters
 * from each stream's running totals (as deltas, so a new fan-out for the same stream keeps
 * counting up), and the ingest-to-egress latency once per access unit.
 */
export class EgressMetrics {
  private readonly last = new Map<string, { bytesSent: number; dropped: number }>();

  constructor(private readonly metrics: MetricsCatalog) {}

  accessUnitSent(stream: string, receivedAt: number, nowMs: number): void {
    this.metrics.latency.observe({ stream }, Math.max(0, nowMs - receivedAt) / 1000);
  }

  update(stream: string, stats: FanoutStats): void {
    this.metrics.readers.set({ stream, transport: 'tcp' }, stats.readersTcp);
    this.metrics.readers.set({ stream, transport: 'udp' }, stats.readersUdp);
    const prev = this.last.get(stream) ?? { bytesSent: 0, dropped: 0 };
    const sentDelta = stats.bytesSent - prev.bytesSent;
    const droppedDelta = stats.droppedReaders - prev.dropped;
    // inc(0) still exposes the series: "0 dropped" is an answer, a missing series is not.
    this.metrics.bytesSent.inc({ stream, transport: 'all' }, Math.max(0, sentDelta));
    this.metrics.readersDropped.inc({ stream }, Math.max(0, droppedDelta));
    this.last.set(stream, { bytesSent: stats.bytesSent, dropped: stats.droppedReaders });
  }

  /** Writing the stream's status to the store failed. */
  storeError(): void {
    this.metrics.errors.inc({ kind: 'store' });
  }

  /** The stream's fan-out is gone; the next one counts from zero. */
  disposed(stream: string): void {
    this.last.delete(stream);
  }

  /** The stream ended for good (an RTMP push): its egress series go (bounded label sets). */
  forget(stream: string): void {
    this.last.delete(stream);
    for (const transport of ['tcp', 'udp']) this.metrics.readers.remove({ stream, transport });
    this.metrics.bytesSent.remove({ stream, transport: 'all' });
    this.metrics.readersDropped.remove({ stream });
    this.metrics.latency.remove({ stream });
  }
}
