/**
 * The embedded default: all four services in one process with the in-process bus and the
 * memory store (`npm start`). It composes the same start functions each service's own main
 * runs; nothing here is specific to running them together except sharing one context.
 */
import {
  ContextOverrides, RunningService, ServiceContext, createServiceContext, explainStartupError, loadConfig, startServiceOps, stopAll,
} from '@streamgate/platform';
import { startIngest } from './ingest/src/index';
import { startPacketizer } from './packetizer/src/index';
import { startRtspEgress } from './rtsp-egress/src/index';
import { startControlApi } from './control-api/src/index';

export interface Gateway {
  readonly ctx: ServiceContext;
  readonly rtspPort: number;
  readonly rtmpPort: number;
  readonly httpPort: number;
  readonly udpRtpPort: number;
  /** /metrics, /healthz, /readyz for the whole process. */
  readonly metricsPort: number;
  stop(): Promise<void>;
}

export async function startGateway(overrides: ContextOverrides = {}): Promise<Gateway> {
  const ctx = await createServiceContext('streamgate', overrides);
  const started: RunningService[] = [];
  try {
    const packetizer = await startPacketizer({ ...ctx, logger: ctx.logger.child({ service: 'packetizer' }) });
    started.push(packetizer);
    const egress = await startRtspEgress({ ...ctx, logger: ctx.logger.child({ service: 'rtsp-egress' }) });
    started.push(egress);
    const ingest = await startIngest({ ...ctx, logger: ctx.logger.child({ service: 'ingest' }) });
    started.push(ingest);
    // The control API hands out URLs, so it learns the ports actually bound (port 0 in tests).
    const api = await startControlApi({
      ...ctx,
      logger: ctx.logger.child({ service: 'control-api' }),
      config: { ...ctx.config, RTSP_PORT: egress.rtspPort, RTMP_PORT: ingest.rtmpPort },
    });
    started.push(api);
    const ops = await startServiceOps(ctx);
    started.push({ name: 'ops', stop: () => ops.close() });
    return {
      ctx,
      rtspPort: egress.rtspPort,
      rtmpPort: ingest.rtmpPort,
      httpPort: api.httpPort,
      udpRtpPort: egress.udpRtpPort,
      metricsPort: ops.port,
      stop: () => stopAll(ctx, started),
    };
  } catch (err) {
    await stopAll(ctx, started);
    throw err;
  }
}

if (require.main === module) {
  startGateway()
    .then((gw) => {
      const host = gw.ctx.config.PUBLIC_HOST ?? '127.0.0.1';
      gw.ctx.logger.info({ rtsp: gw.rtspPort, rtmp: gw.rtmpPort, http: gw.httpPort, rtpUdp: gw.udpRtpPort, metrics: gw.metricsPort }, 'streamgate ready');
      process.stdout.write(
        `streamgate ready: push rtmp://${host}:${gw.rtmpPort}/live/<key>, play rtsp://${host}:${gw.rtspPort}/<key>, ` +
          `API http://${host}:${gw.httpPort}/api/docs\n`,
      );
      const shutdown = (signal: string): void => {
        gw.ctx.logger.info({ signal }, 'streamgate stopping');
        gw.stop().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    })
    .catch((err: unknown) => {
      let config = {};
      try {
        config = loadConfig();
      } catch {
        // The config error itself is what gets printed.
      }
      process.stderr.write(`streamgate: ${explainStartupError(err, config)}\n`);
      process.exit(1);
    });
}
