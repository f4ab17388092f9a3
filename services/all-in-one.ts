/**
 * The embedded default: all four services in one process with the in-process bus and the
 * memory store (`npm start`). It composes the same start functions each service's own main
 * runs; nothing here is specific to running them together except sharing one context.
 */
import {
  ContextOverrides, RunningService, ServiceContext, createServiceContext, drainAll, exitOnSignals, exitOnVersionFlag, explainStartupError, loadConfig, serviceLogger, startServiceOps, stopAll,
} from '@streamgate/platform';
import { startIngest } from './ingest/src/index';
import { startPacketizer } from './packetizer/src/index';
import { startRtspEgress } from './rtsp-egress/src/index';
import { startHlsEgress } from './hls-egress/src/index';
import { startControlApi } from './control-api/src/index';

export interface Gateway {
  readonly ctx: ServiceContext;
  readonly rtspPort: number;
  readonly rtmpPort: number;
  /** RTSPS and RTMPS ports when TLS_CERT_FILE/TLS_KEY_FILE are set. */
  readonly rtspsPort: number | undefined;
  readonly rtmpsPort: number | undefined;
  readonly httpPort: number;
  readonly udpRtpPort: number;
  /** HLS / LL-HLS port; undefined when HLS_ENABLED is off. */
  readonly hlsPort: number | undefined;
  /** /metrics, /healthz, /readyz for the whole process. */
  readonly metricsPort: number;
  /** SIGTERM: RTSP readers get their BYE and new readers are refused, for up to `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startGateway(overrides: ContextOverrides = {}): Promise<Gateway> {
  const ctx = await createServiceContext('streamgate', overrides);
  const started: RunningService[] = [];
  try {
    const packetizer = await startPacketizer({ ...ctx, logger: serviceLogger(ctx.logger, 'packetizer') });
    started.push(packetizer);
    const egress = await startRtspEgress({ ...ctx, logger: serviceLogger(ctx.logger, 'rtsp-egress') });
    started.push(egress);
    // HLS runs in the same process, fed from the same media.<s>.out as RTSP egress.
    const hls = ctx.config.HLS_ENABLED ? await startHlsEgress({ ...ctx, logger: serviceLogger(ctx.logger, 'hls-egress') }) : undefined;
    if (hls) started.push(hls);
    const ingest = await startIngest({ ...ctx, logger: serviceLogger(ctx.logger, 'ingest') });
    started.push(ingest);
    // The control API hands out URLs, so it learns the ports actually bound (port 0 in tests).
    const api = await startControlApi({
      ...ctx,
      logger: serviceLogger(ctx.logger, 'control-api'),
      config: { ...ctx.config, RTSP_PORT: egress.rtspPort, RTMP_PORT: ingest.rtmpPort, HLS_PORT: hls?.hlsPort ?? ctx.config.HLS_PORT },
    });
    started.push(api);
    const ops = await startServiceOps(ctx);
    started.push({ name: 'ops', stop: () => ops.close() });
    // config.json changes and SIGHUP reload what subscribed to it (streams; users when configured).
    ctx.configFile?.start();
    return {
      ctx,
      rtspPort: egress.rtspPort,
      rtmpPort: ingest.rtmpPort,
      rtspsPort: egress.rtspsPort,
      rtmpsPort: ingest.rtmpsPort,
      httpPort: api.httpPort,
      udpRtpPort: egress.udpRtpPort,
      hlsPort: hls?.hlsPort,
      metricsPort: ops.port,
      drain: (timeoutMs) => drainAll(ctx, started, timeoutMs),
      stop: () => stopAll(ctx, started),
    };
  } catch (err) {
    await stopAll(ctx, started);
    throw err;
  }
}

/**
 * The block `npm start` prints once every listener is open: one line per URL a person uses.
 * `host` is PUBLIC_HOST, else 127.0.0.1 (the listeners bind HOST, 0.0.0.0 by default).
 */
export function readyBlock(gw: Pick<Gateway, 'rtmpPort' | 'rtspPort' | 'httpPort' | 'metricsPort' | 'hlsPort'>, host: string, seconds: number, https = false): string {
  const web = https ? 'https' : 'http';
  const lines: Array<[string, string]> = [
    ['RTMP push', `rtmp://${host}:${gw.rtmpPort}/live/<key>`],
    ['RTSP read', `rtsp://${host}:${gw.rtspPort}/<key>`],
    ...(gw.hlsPort !== undefined ? [['HLS read', `${web}://${host}:${gw.hlsPort}/<key>/index.m3u8`] as [string, string]] : []),
    ['API', `${web}://${host}:${gw.httpPort}/api/docs`],
    ['console', `${web}://${host}:${gw.httpPort}/`],
    ['metrics', `http://${host}:${gw.metricsPort}/metrics`],
  ];
  return [`streamgate ready in ${seconds.toFixed(1)} s`, ...lines.map(([what, url]) => `  ${what.padEnd(10)} ${url}`)].join('\n') + '\n';
}

/** `node dist/services/all-in-one.js` and `npm start` (tools/start.mjs). */
export function main(): void {
  exitOnVersionFlag('all-in-one');
  startGateway()
    .then((gw) => {
      const host = gw.ctx.config.PUBLIC_HOST ?? '127.0.0.1';
      gw.ctx.logger.info({ rtsp: gw.rtspPort, rtmp: gw.rtmpPort, http: gw.httpPort, hls: gw.hlsPort, rtpUdp: gw.udpRtpPort, metrics: gw.metricsPort }, 'streamgate ready');
      // After the log lines before it, so the block is the last thing on the terminal.
      gw.ctx.logger.flush(() => process.stdout.write(readyBlock(gw, host, process.uptime(), gw.ctx.tls !== undefined)));
      // As a service run alone: SIGTERM drains the readers first, SIGINT stops at once.
      exitOnSignals(gw.ctx, 'streamgate', gw);
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

if (require.main === module) main();
