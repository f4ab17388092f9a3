import { randomUUID } from 'node:crypto';
import {
  Bus, BusClosedError, BusHandler, BusHeaders, BusMessage, BusNoRespondersError, BusPayloadTooLargeError,
  BusTimeoutError, PublishOptions, RequestOptions, SubscribeOptions, Subscription,
} from './bus';
import { subjectMatches, validateSubject } from './subject-match';

interface Sub {
  readonly id: number;
  readonly subject: string;
  readonly tokens: string[];
  readonly literal: boolean;
  readonly queue?: string;
  readonly handler: BusHandler;
  active: boolean;
}

const MAX_CACHED_ROUTES = 10_000;
const INBOX_PREFIX = '_INBOX.';

export interface InProcessBusOptions {
  /** Largest payload accepted, like NATS max_payload. Default 8 MiB. */
  maxPayload?: number;
  /** Called when a handler throws; the bus itself carries on. */
  onHandlerError?: (err: unknown, subject: string) => void;
}

/**
 * The in-process driver: same subjects, wildcards, queue groups and request/reply as NATS,
 * delivered asynchronously (a microtask after publish) in publish order.
 */
export class InProcessBus implements Bus {
  readonly driver = 'in-process';
  readonly maxPayload: number;
  private readonly literal = new Map<string, Set<Sub>>();
  private readonly wildcard = new Set<Sub>();
  private nextId = 1;
  private closed = false;
  private readonly queueCursor = new Map<string, number>();
  /**
   * Subscribers of each concrete subject published to, when none is in a queue group (those
   * are picked round robin per message): the media path publishes to the same few subjects
   * thousands of times a second. Dropped for a subject when a literal subscription to it
   * comes or goes, all at once when a wildcard one does.
   */
  private readonly routes = new Map<string, Sub[]>();
  private readonly onHandlerError: (err: unknown, subject: string) => void;
  /** Published and not yet delivered: each message's subscribers, and the message. */
  private readonly queuedTargets: Sub[][] = [];
  private readonly queuedMessages: InProcessMessage[] = [];

  constructor(options: InProcessBusOptions = {}) {
    this.maxPayload = options.maxPayload ?? 8 * 1024 * 1024;
    this.onHandlerError = options.onHandlerError ?? ((err, subject) => {
      process.emitWarning(`bus handler for ${subject} threw: ${(err as Error)?.stack ?? String(err)}`);
    });
  }

  publish(subject: string, data: Uint8Array, options?: PublishOptions): void {
    if (this.closed) throw new BusClosedError();
    let targets = this.routes.get(subject);
    if (targets === undefined) {
      const tokens = validateSubject(subject, false);
      targets = this.route(subject, tokens);
    }
    if (data.byteLength > this.maxPayload) throw new BusPayloadTooLargeError(subject, data.byteLength, this.maxPayload);
    if (targets.length === 0) return;
    // One microtask delivers everything published until it runs, in publish order; the media
    // path publishes thousands of messages a second, and a closure and a microtask each was
    // a good part of what it allocated.
    if (this.queuedMessages.length === 0) queueMicrotask(this.deliverQueued);
    this.queuedTargets.push(targets);
    this.queuedMessages.push(new InProcessMessage(this, subject, data, options?.headers, options?.reply));
  }

  subscribe(subject: string, handler: BusHandler, options: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new BusClosedError();
    const tokens = validateSubject(subject, true);
    const literal = !tokens.some((t) => t === '*' || t === '>');
    const sub: Sub = { id: this.nextId++, subject, tokens, literal, queue: options.queue, handler, active: true };
    if (literal) {
      let set = this.literal.get(subject);
      if (!set) this.literal.set(subject, (set = new Set()));
      set.add(sub);
      this.routes.delete(subject);
    } else {
      this.wildcard.add(sub);
      this.routes.clear();
    }
    return {
      subject,
      unsubscribe: () => {
        if (!sub.active) return;
        sub.active = false;
        if (literal) {
          const set = this.literal.get(subject);
          set?.delete(sub);
          if (set?.size === 0) this.literal.delete(subject);
          this.routes.delete(subject);
        } else {
          this.wildcard.delete(sub);
          this.routes.clear();
        }
      },
    };
  }

  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<BusMessage> {
    if (this.closed) return Promise.reject(new BusClosedError());
    const tokens = validateSubject(subject, false);
    if (this.route(subject, tokens).length === 0) return Promise.reject(new BusNoRespondersError(subject));
    const inbox = `${INBOX_PREFIX}${randomUUID().replace(/-/g, '')}`;
    return new Promise<BusMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new BusTimeoutError(subject, options.timeoutMs));
      }, options.timeoutMs);
      const sub = this.subscribe(inbox, (msg) => {
        clearTimeout(timer);
        sub.unsubscribe();
        resolve(msg);
      });
      try {
        this.publish(subject, data, { headers: options.headers, reply: inbox });
      } catch (err) {
        clearTimeout(timer);
        sub.unsubscribe();
        reject(err);
      }
    });
  }

  async flush(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.literal.clear();
    this.wildcard.clear();
    this.routes.clear();
  }

  /** Plain subscribers all get the message; each queue group gets it once (round robin). */
  private route(subject: string, tokens: string[]): Sub[] {
    const out: Sub[] = [];
    let groups: Map<string, Sub[]> | undefined;
    const consider = (sub: Sub): void => {
      if (!sub.queue) {
        out.push(sub);
        return;
      }
      groups ??= new Map();
      const members = groups.get(sub.queue);
      if (members) members.push(sub);
      else groups.set(sub.queue, [sub]);
    };
    const exact = this.literal.get(subject);
    if (exact) for (const sub of exact) consider(sub);
    for (const sub of this.wildcard) if (subjectMatches(sub.tokens, tokens)) consider(sub);
    if (!groups) {
      // Bounded: subjects are stream names times a few kinds; a flood of one-off subjects starts over.
      if (this.routes.size >= MAX_CACHED_ROUTES) this.routes.clear();
      // Inboxes of requests are answered once: not worth keeping.
      if (!subject.startsWith(INBOX_PREFIX)) this.routes.set(subject, out);
      return out;
    }
    for (const [queue, members] of groups) {
      const cursor = this.queueCursor.get(queue) ?? 0;
      this.queueCursor.set(queue, cursor + 1);
      members.sort((a, b) => a.id - b.id);
      out.push(members[cursor % members.length]);
    }
    return out;
  }

  /** Delivers what was published since the last delivery, and what its handlers publish meanwhile. */
  private readonly deliverQueued = (): void => {
    const targets = this.queuedTargets;
    const messages = this.queuedMessages;
    let i = 0;
    try {
      for (; i < messages.length; i++) {
        const msg = messages[i];
        for (const sub of targets[i]) {
          if (!sub.active) continue;
          try {
            sub.handler(msg);
          } catch (err) {
            this.onHandlerError(err, msg.subject);
          }
        }
      }
    } finally {
      // Only an error handler that threw leaves messages behind: they go in the next microtask.
      if (i >= messages.length) {
        // All delivered (nearly always): emptied in place, no array of what was removed.
        targets.length = 0;
        messages.length = 0;
      } else {
        targets.splice(0, i + 1);
        messages.splice(0, i + 1);
      }
      if (messages.length > 0) queueMicrotask(this.deliverQueued);
    }
  };

  /** A message's answer (`respond`), on its reply subject. */
  answer(reply: string | undefined, data: Uint8Array, headers: BusHeaders | undefined): boolean {
    if (!reply || this.closed) return false;
    this.publish(reply, data, { headers });
    return true;
  }
}

/** A message as handlers get it: its answer goes back through the bus it came from. */
class InProcessMessage implements BusMessage {
  constructor(
    private readonly bus: InProcessBus,
    readonly subject: string,
    readonly data: Uint8Array,
    readonly headers: BusHeaders | undefined,
    readonly reply: string | undefined,
  ) {}

  respond(data: Uint8Array, headers?: BusHeaders): boolean {
    return this.bus.answer(this.reply, data, headers);
  }
}
