import { ConflictException, Inject, Injectable, ServiceUnavailableException, GatewayTimeoutException } from '@nestjs/common';
import { EnvelopeError, FrameMessage, Subjects, decodeEnvelope, decodeEnvelopeList } from '@streamgate/contracts';
import { BusNoRespondersError, BusTimeoutError, ServiceContext, withSourceDemand } from '@streamgate/platform';
import type { ClientProxy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { CONTROL_CLIENT } from '../common/control-client.token';
import { SERVICE_CONTEXT } from '../common/service-context.token';
import { JpegSnapshotter, SnapshotError } from './jpeg-snapshot';

/** The latest access unit of a stream, asked of the packetizer (its `packetizer.*.frame` message pattern). */
@Injectable()
export class FrameService {
  private readonly snapshotter: JpegSnapshotter;
  /** The JPEG being made per stream: requests arriving meanwhile share it (one fetch, one decode). */
  private readonly jpegInFlight = new Map<string, Promise<{ jpeg: Buffer; receivedAt: number }>>();

  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext, @Inject(CONTROL_CLIENT) private readonly control: ClientProxy) {
    this.snapshotter = new JpegSnapshotter(ctx.config.SNAPSHOT_TIMEOUT_MS, ctx.config.SNAPSHOT_CONCURRENCY);
  }

  /** The packetizer's reply to a frame request; undefined when no packetizer answered. */
  private async ask(name: string, body: string): Promise<Uint8Array | undefined> {
    try {
      return await lastValueFrom(this.control.send<Uint8Array>(Subjects.latestFrame(name), new TextEncoder().encode(body)));
    } catch (err) {
      if (err instanceof BusNoRespondersError || err instanceof BusTimeoutError) return undefined;
      throw err;
    }
  }

  /** The video units since the latest keyframe (the keyframe first); empty when there is no GOP. */
  private async sinceKeyframe(name: string): Promise<FrameMessage[]> {
    const data = await this.ask(name, '{"since_keyframe":true}');
    if (data === undefined || data.byteLength === 0 || data[0] === 0x7b) return [];
    try {
      return decodeEnvelopeList(data).filter((m): m is FrameMessage => m.kind === 'frame');
    } catch (err) {
      if (err instanceof EnvelopeError) return [];
      throw err;
    }
  }

  /**
   * `keyframe`: the latest keyframe (decodable alone) rather than the latest access unit. An
   * on-demand camera at rest is pulled for it (bounded by its on_demand_start_timeout).
   */
  async latest(name: string, keyframe = false): Promise<FrameMessage> {
    return withSourceDemand(this.ctx.bus, name, 'frame', () => this.latestOfPacketizer(name, keyframe));
  }

  private async latestOfPacketizer(name: string, keyframe: boolean): Promise<FrameMessage> {
    const data = await this.ask(name, keyframe ? '{"keyframe":true}' : '');
    if (data === undefined) throw new ConflictException(`stream ${name} has no frame yet (not connected or no video received)`);
    // The packetizer answers JSON {error, code} when it has no frame; an envelope otherwise.
    if (data.byteLength === 0 || data[0] === 0x7b) throw new ConflictException(`stream ${name} has no frame yet`);
    let msg;
    try {
      msg = decodeEnvelope(data);
    } catch (err) {
      if (err instanceof EnvelopeError) throw new ConflictException(`stream ${name} has no frame yet (${err.message})`);
      throw err;
    }
    if (msg.kind !== 'frame') throw new ConflictException(`stream ${name} has no frame yet`);
    return msg;
  }

  /**
   * The picture of now: every video unit from the latest keyframe through the latest, decoded,
   * the last picture kept (not the keyframe, up to a GOP old). Falls back to the latest keyframe
   * when the packetizer has no complete GOP. `receivedAt`: when the latest unit arrived.
   * Concurrent requests for one stream share one fetch and one decode (its result or error),
   * so viewers polling the same stream take one SNAPSHOT_CONCURRENCY slot, not one each.
   */
  jpeg(name: string): Promise<{ jpeg: Buffer; receivedAt: number }> {
    let running = this.jpegInFlight.get(name);
    if (!running) {
      running = this.decodeLatest(name).finally(() => this.jpegInFlight.delete(name));
      this.jpegInFlight.set(name, running);
    }
    return running;
  }

  private async decodeLatest(name: string): Promise<{ jpeg: Buffer; receivedAt: number }> {
    const units = await this.sinceKeyframe(name);
    const frame = units.length > 0 ? undefined : await this.latest(name, true);
    const codec = units[0]?.codec ?? frame?.codec ?? 'h264';
    const data = frame ? frame.data : Buffer.concat(units.map((u) => u.data));
    const receivedAt = units.at(-1)?.receivedAt ?? frame?.receivedAt ?? Date.now();
    try {
      return { jpeg: await this.snapshotter.toJpeg(data, codec, Math.max(1, units.length)), receivedAt };
    } catch (err) {
      if (err instanceof SnapshotError && err.busy) throw new ServiceUnavailableException(err.message);
      if (err instanceof SnapshotError && /longer than/.test(err.message)) throw new GatewayTimeoutException(err.message);
      if (err instanceof SnapshotError) throw new ConflictException(err.message);
      throw err;
    }
  }
}
