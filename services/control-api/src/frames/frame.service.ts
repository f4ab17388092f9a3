import { ConflictException, Inject, Injectable, ServiceUnavailableException, GatewayTimeoutException } from '@nestjs/common';
import { EnvelopeError, FrameMessage, Subjects, decodeEnvelope } from '@streamgate/contracts';
import { BusNoRespondersError, BusTimeoutError, ServiceContext } from '@streamgate/platform';
import { SERVICE_CONTEXT } from '../common/service-context.token';
import { JpegSnapshotter, SnapshotError } from './jpeg-snapshot';

const FRAME_REQUEST_TIMEOUT_MS = 2000;

/** The latest access unit of a stream, asked of the packetizer over the bus. */
@Injectable()
export class FrameService {
  private readonly snapshotter: JpegSnapshotter;

  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {
    this.snapshotter = new JpegSnapshotter(ctx.config.SNAPSHOT_TIMEOUT_MS, ctx.config.SNAPSHOT_CONCURRENCY);
  }

  /** `keyframe`: the latest keyframe (decodable alone) rather than the latest access unit. */
  async latest(name: string, keyframe = false): Promise<FrameMessage> {
    let data: Uint8Array;
    try {
      const request = keyframe ? new TextEncoder().encode('{"keyframe":true}') : new Uint8Array(0);
      const reply = await this.ctx.bus.request(Subjects.latestFrame(name), request, { timeoutMs: FRAME_REQUEST_TIMEOUT_MS });
      data = reply.data;
    } catch (err) {
      if (err instanceof BusNoRespondersError || err instanceof BusTimeoutError) {
        throw new ConflictException(`stream ${name} has no frame yet (not connected or no video received)`);
      }
      throw err;
    }
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

  async jpeg(name: string): Promise<Buffer> {
    const frame = await this.latest(name, true);
    try {
      return await this.snapshotter.toJpeg(frame.data, frame.codec);
    } catch (err) {
      if (err instanceof SnapshotError && err.busy) throw new ServiceUnavailableException(err.message);
      if (err instanceof SnapshotError && /longer than/.test(err.message)) throw new GatewayTimeoutException(err.message);
      if (err instanceof SnapshotError) throw new ConflictException(err.message);
      throw err;
    }
  }
}
