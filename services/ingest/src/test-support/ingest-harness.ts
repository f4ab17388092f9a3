/**
 * Test harness: ingest on an ephemeral loopback port with an in-process bus and memory store,
 * a recorder of what it publishes, captured log lines, and ffmpeg publishers.
 */
import { Writable } from 'node:stream';
import {
  FlvTagMessage, StreamEvent, Subjects, decodeEnvelope, decodeJson, streamFromSubject,
} from '@streamgate/contracts';
import {
  ConfigSchema, GatewayConfig, InProcessBus, MemoryStateStore, ServiceContext, createLogger, createMetricsCatalog,
} from '@streamgate/platform';
import { TrackedProcess, lavfiEncodeArgs, spawnTracked } from '@streamgate/testing';
import { IngestOptions, startIngest } from '../index';

export interface TestIngest {
  ctx: ServiceContext;
  bus: InProcessBus;
  store: MemoryStateStore;
  port: number;
  recorder: BusRecorder;
  logs: string[];
  stop(): Promise<void>;
}

export async function startTestIngest(config: Partial<Record<keyof GatewayConfig, string>> = {}, options: IngestOptions = {}): Promise<TestIngest> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
      done();
    },
  });
  const bus = new InProcessBus();
  const store = new MemoryStateStore();
  const ctx: ServiceContext = {
    bus,
    store,
    config: ConfigSchema.parse({ HOST: '127.0.0.1', RTMP_PORT: '0', ...config }),
    logger: createLogger({ service: 'ingest', level: 'info', destination }),
    metrics: createMetricsCatalog('ingest'),
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
  readonly tags = new Map<string, FlvTagMessage[]>();
  readonly events: StreamEvent[] = [];

  constructor(bus: InProcessBus) {
    bus.subscribe(Subjects.allMediaIn, (msg) => {
      const env = decodeEnvelope(msg.data);
      const stream = streamFromSubject(msg.subject);
      if (env.kind !== 'flv-tag' || !stream) return;
      let list = this.tags.get(stream);
      if (!list) this.tags.set(stream, (list = []));
      // Copy: the bus hands out the same buffer to every subscriber.
      list.push({ ...env, data: env.data.slice() });
    });
    bus.subscribe(Subjects.allStreamEvents, (msg) => {
      this.events.push(decodeJson(StreamEvent, msg.subject, msg.data));
    });
  }

  tagsOf(stream: string): FlvTagMessage[] {
    return this.tags.get(stream) ?? [];
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
