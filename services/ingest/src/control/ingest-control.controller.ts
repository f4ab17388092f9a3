import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import {
  IngestSubjects, RtmpKickReply, SourceDemandReply, RtmpKickRequest, RtmpPublisherList, SourceDescription, decodeJson, encodeJson,
  isValidStreamName, streamFromSubject,
} from '@streamgate/contracts';
import type { Logger } from '@streamgate/platform';
import { BusContext } from '@streamgate/platform/nest';
import type { BusPublishGate } from '../rtmp/bus-publish-gate';
import type { CameraSupervisor } from '../rtsp/camera-supervisor';

/** What the control handlers read: the RTMP publications and, once started, the cameras. */
export class IngestControl {
  cameras: CameraSupervisor | undefined;

  constructor(readonly gate: BusPublishGate, readonly logger: Logger) {}
}

/**
 * Ingest's control plane as Nest message patterns (subjects from contracts): the RTMP
 * converter's list and kick, and the source description a packetizer asks for when it takes
 * a live stream over.
 */
@Controller()
export class IngestControlController {
  constructor(@Inject(IngestControl) private readonly ingest: IngestControl) {}

  @MessagePattern(IngestSubjects.rtmpList)
  list(): Uint8Array {
    return encodeJson(RtmpPublisherList, { streams: this.ingest.gate.publications().map((p) => p.info()) });
  }

  @MessagePattern(IngestSubjects.rtmpKick)
  kick(@Payload() data: Uint8Array, @Ctx() ctx: BusContext): Uint8Array {
    let ok = false;
    try {
      const req = decodeJson(RtmpKickRequest, ctx.getSubject(), data);
      ok = this.ingest.gate.kick(req.stream, 'disconnected through the API');
    } catch (err) {
      this.ingest.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'bad kick request');
    }
    return encodeJson(RtmpKickReply, { ok });
  }

  /** Only the instance that has the source answers; the others stay silent (no reply). */
  @MessagePattern(IngestSubjects.allSources)
  source(@Ctx() ctx: BusContext): Uint8Array | undefined {
    const stream = streamFromSubject(ctx.getSubject());
    if (stream === undefined || !isValidStreamName(stream)) return undefined;
    const description = this.ingest.gate.publication(stream)?.description() ?? this.ingest.cameras?.description(stream);
    return description ? encodeJson(SourceDescription, description) : undefined;
  }

  /** A consumer needs a stream (on-demand cameras): see CameraSupervisor.demand for who answers. */
  @MessagePattern(IngestSubjects.allDemands)
  demand(@Ctx() ctx: BusContext): Uint8Array | undefined {
    const stream = streamFromSubject(ctx.getSubject());
    if (stream === undefined || !isValidStreamName(stream)) return undefined;
    // Without camera pulling here, no camera of this instance is wanted: say so at once.
    const reply = this.ingest.cameras ? this.ingest.cameras.demand(stream) : { on_demand: false, playing: false, start_timeout_ms: 0 };
    return reply ? encodeJson(SourceDemandReply, reply) : undefined;
  }
}
