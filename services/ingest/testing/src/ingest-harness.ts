/**
 * Test harness: ingest on an ephemeral loopback port with an in-process bus and memory store,
 * a recorder of what it publishes, captured log lines, and ffmpeg publishers. The test passes
 * the service's start function: a testing project never imports the service it tests.
 */
import { Writable } from 'node:stream';
import {
  CodecUnitMessage, StreamEvent, Subjects, decodeEnvelope, decodeJson, streamFromSubject,
} from '@streamgate/contracts';
import {
  ConfigSchema, GatewayConfig, securityContext, InProcessBus, MemoryStateStore, ServiceContext, createLogger, AccessControl, createMetricsCatalog,
} from '@streamgate/platform';
import { TrackedProcess, lavfiEncodeArgs, spawnTracked } from '@streamgate/testing';

export interface TestIngest {
  ctx: ServiceContext;
  bus: InProcessBus;
  store: MemoryStateStore;
  port: number;
  recorder: BusRecorder;
  logs: string[];
  stop(): Promise<void>;
}

/** What ingest's start function returns, as far as the harness needs it. */
export interface IngestUnderTest {
  readonly rtmpPort: number;
  stop(): Promise<void>;
}

export type StartIngest<O> = (ctx: ServiceContext, options?: O) => Promise<IngestUnderTest>;

export async function startTestIngest<O>(
  startIngest: StartIngest<O>, config: Partial<Record<keyof GatewayConfig, string>> = {}, options?: O,
): Promise<TestIngest> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
      done();
    },
  });
  const bus = new InProcessBus();
  const store = new MemoryStateStore();
  const parsedConfig = ConfigSchema.parse({ HOST: '127.0.0.1', RTMP_PORT: '0', RTMPS_PORT: '0', ...config });
  const logger = createLogger({ service: 'ingest', level: 'info', destination });
  const metrics = createMetricsCatalog('ingest');
  const ctx: ServiceContext = {
    bus,
    store,
    config: parsedConfig,
    logger,
    metrics,
    ...securityContext(parsedConfig, logger),
    access: new AccessControl(parsedConfig, logger, metrics),
  };
  const recorder = new BusRecorder(bus);
  const ingest = await startIngest(ctx, options);
  return {
    ctx, bus, store, port: ingest.rtmpPort, recorder, logs,
    async stop() {
      await ingest.stop();
      await bus.close();
    },
  };
}

/** Everything ingest published, per stream. */
export class BusRecorder {
  /** The codec units ingest read from each publish (CodecUnitMessage on media.<s>.in). */
  readonly units = new Map<string, CodecUnitMessage[]>();
  readonly events: StreamEvent[] = [];

  constructor(bus: InProcessBus) {
    bus.subscribe(Subjects.allMediaIn, (msg) => {
      const env = decodeEnvelope(msg.data);
      const stream = streamFromSubject(msg.subject);
      if (env.kind !== 'codec-unit' || !stream) return;
      let list = this.units.get(stream);
      if (!list) this.units.set(stream, (list = []));
      // Copy: the bus hands out the same buffer to every subscriber.
      list.push({ ...env, payloads: env.payloads.map((p) => p.slice()) });
    });
    bus.subscribe(Subjects.allStreamEvents, (msg) => {
      this.events.push(decodeJson(StreamEvent, msg.subject, msg.data));
    });
  }

  unitsOf(stream: string): CodecUnitMessage[] {
    return this.units.get(stream) ?? [];
  }

  eventsOf(stream: string): StreamEvent[] {
    return this.events.filter((e) => e.stream === stream);
  }
}

export interface PushOptions {
  seconds?: number;
  fps?: number;
}

/** ffmpeg -re pushing lavfi testsrc2 + sine as H.264 High (B-frames) + AAC over RTMP. */
export function pushWithFfmpeg(url: string, options: PushOptions = {}): TrackedProcess {
  const fps = options.fps ?? 25;
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    ...lavfiEncodeArgs({ width: 320, height: 240, fps, bframes: 2, gop: fps, audio: true }, true),
    '-t', String(options.seconds ?? 2), '-f', 'flv', url,
  ];
  return spawnTracked('ffmpeg', args);
}
