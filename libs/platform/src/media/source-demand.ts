import {
  DEMAND_INTERVAL_MS, IngestSubjects, SourceDemand, SourceDemandReply, decodeJson, encodeJson, isValidStreamName,
} from '@streamgate/contracts';
import type { Bus } from '../bus/bus';

/**
 * The demand signal of on-demand cameras (`ingest.<s>.demand`, contracts): consumers say they
 * need a stream; the ingest instance pulling the camera answers and keeps it pulled while
 * demands keep coming. One place for the consumers' side: RTSP and HLS egress, the control
 * API's frames.
 */

/** How long a demand waits for the camera's owner to answer (a non-camera has none). */
const DEMAND_REPLY_TIMEOUT_MS = 500;
/** Between two tries of what an on-demand source is expected to provide. */
const WAKE_POLL_MS = 100;

export type DemandConsumer = SourceDemand['consumer'];

/** Tells the stream's owner it is needed. Undefined when nobody answers (not a camera, or no owner). */
export async function requestSourceDemand(bus: Bus, stream: string, consumer: DemandConsumer, timeoutMs = DEMAND_REPLY_TIMEOUT_MS): Promise<SourceDemandReply | undefined> {
  if (!isValidStreamName(stream)) return undefined;
  const subject = IngestSubjects.demand(stream);
  try {
    const reply = await bus.request(subject, encodeJson(SourceDemand, { consumer }), { timeoutMs });
    return decodeJson(SourceDemandReply, subject, reply.data);
  } catch {
    // No responder, a timeout or a reply of another shape: nobody pulls it on demand.
    return undefined;
  }
}

/**
 * `attempt` for a stream that may be an on-demand camera at rest: on failure the camera is
 * woken and `attempt` tried again until it succeeds or the camera's start timeout
 * (`on_demand_start_timeout`) runs out; the last error is thrown then. A stream that is not an
 * on-demand camera fails with the first error, as before.
 */
export async function withSourceDemand<T>(bus: Bus, stream: string, consumer: DemandConsumer, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (first) {
    const reply = await requestSourceDemand(bus, stream, consumer);
    if (!reply?.on_demand) throw first;
    const deadline = Date.now() + reply.start_timeout_ms;
    let last: unknown = first;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, WAKE_POLL_MS));
      try {
        return await attempt();
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }
}

/**
 * Repeats the demand for the streams a consumer serves: call `keep` with them at least every
 * DEMAND_INTERVAL_MS (a tick); each is sent at most once per interval, fire and forget.
 */
export class DemandKeeper {
  private readonly lastSent = new Map<string, number>();

  constructor(private readonly bus: Bus, private readonly consumer: DemandConsumer, private readonly intervalMs = DEMAND_INTERVAL_MS) {}

  keep(streams: Iterable<string>, now = Date.now()): void {
    const seen = new Set<string>();
    for (const stream of streams) {
      if (seen.has(stream)) continue;
      seen.add(stream);
      const last = this.lastSent.get(stream);
      // A little early rather than late: ticks are not exact.
      if (last !== undefined && now - last < this.intervalMs * 0.75) continue;
      this.lastSent.set(stream, now);
      void requestSourceDemand(this.bus, stream, this.consumer);
    }
    for (const stream of [...this.lastSent.keys()]) if (!seen.has(stream)) this.lastSent.delete(stream);
  }
}
