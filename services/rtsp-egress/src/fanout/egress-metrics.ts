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
    if (sentDelta > 0) this.metrics.bytesSent.inc({ stream, transport: 'all' }, sentDelta);
    if (droppedDelta > 0) this.metrics.readersDropped.inc({ stream }, droppedDelta);
    this.last.set(stream, { bytesSent: stats.bytesSent, dropped: stats.droppedReaders });
  }

  /** The stream's fan-out is gone; the next one counts from zero. */
  disposed(stream: string): void {
    this.last.delete(stream);
  }
}
