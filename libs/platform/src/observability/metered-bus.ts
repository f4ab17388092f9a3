import type { Counter } from 'prom-client';
import type { Bus, BusMessage, PublishOptions, RequestOptions } from '../bus/bus';
import { DelegatingBus } from '../bus/delegating-bus';
import type { MetricsCatalog } from '../metrics/catalog';

/** Bounded `kind` label of the bus counters, from the subject's shape (libs/contracts subjects.ts). */
export const BUS_MESSAGE_KINDS = ['media_in', 'media_out', 'event', 'request', 'control'] as const;
export type BusMessageKind = (typeof BUS_MESSAGE_KINDS)[number];

export function busMessageKind(subject: string): BusMessageKind {
  if (subject.startsWith('media.')) return subject.endsWith('.out') ? 'media_out' : 'media_in';
  if (subject.startsWith('stream.') && subject.endsWith('.events')) return 'event';
  return 'control';
}

type Children = Record<BusMessageKind, { messages: Counter.Internal; bytes: Counter.Internal }>;

/**
 * Counts what this process publishes on the bus (`streamgate_bus_messages_total` and
 * `streamgate_bus_sent_bytes_total` by kind). A publish adds to two plain numbers; they reach
 * the counters when the counters are read (a scrape), not on the media path thousands of
 * times a second.
 */
export class MeteredBus extends DelegatingBus {
  private readonly counters: Children;
  /** Not yet added to the counters: [messages, bytes] per kind, by BUS_MESSAGE_KINDS index. */
  private readonly pending = new Float64Array(BUS_MESSAGE_KINDS.length * 2);

  constructor(inner: Bus, metrics: Pick<MetricsCatalog, 'busMessages' | 'busBytes' | 'busCountFlushers'>) {
    super(inner);
    const entries = BUS_MESSAGE_KINDS.map((kind) => {
      const messages = metrics.busMessages.labels({ kind });
      const bytes = metrics.busBytes.labels({ kind });
      // Each kind is exposed from the start (0), so a quiet kind is a 0 and not a missing series.
      messages.inc(0);
      bytes.inc(0);
      return [kind, { messages, bytes }] as const;
    });
    this.counters = Object.fromEntries(entries) as Children;
    // Required: without it the counts would never reach the counters.
    metrics.busCountFlushers.add(() => this.flushCounts());
  }

  override publish(subject: string, data: Uint8Array, options?: PublishOptions): void {
    this.inner.publish(subject, data, options);
    this.count(busMessageKindIndex(subject), data.byteLength);
  }

  override request(subject: string, data: Uint8Array, options: RequestOptions): Promise<BusMessage> {
    this.count(REQUEST_INDEX, data.byteLength);
    return this.inner.request(subject, data, options);
  }

  /** Adds what was counted since the last read to the counters. */
  flushCounts(): void {
    const p = this.pending;
    BUS_MESSAGE_KINDS.forEach((kind, i) => {
      if (p[2 * i] === 0) return;
      const c = this.counters[kind];
      c.messages.inc(p[2 * i]);
      c.bytes.inc(p[2 * i + 1]);
      p[2 * i] = 0;
      p[2 * i + 1] = 0;
    });
  }

  private count(kindIndex: number, bytes: number): void {
    this.pending[2 * kindIndex]++;
    this.pending[2 * kindIndex + 1] += bytes;
  }
}

const REQUEST_INDEX = BUS_MESSAGE_KINDS.indexOf('request');
/** Each kind's index in BUS_MESSAGE_KINDS, as a plain object (a publish looks one up). */
const KIND_INDEX = Object.fromEntries(BUS_MESSAGE_KINDS.map((k, i) => [k, i])) as Record<BusMessageKind, number>;

function busMessageKindIndex(subject: string): number {
  return KIND_INDEX[busMessageKind(subject)];
}
