import type { GatewayConfig } from '@streamgate/platform';

/** The URLs we hand out: PUBLIC_HOST when configured, else the host the client used. */
export function publicHost(config: GatewayConfig, requestHost: string | undefined): string {
  if (config.PUBLIC_HOST) return config.PUBLIC_HOST;
  const host = (requestHost ?? '').replace(/:\d+$/, '');
  return host && /^[A-Za-z0-9.\-[\]:]+$/.test(host) ? host : '127.0.0.1';
}

export function rtspUrl(config: GatewayConfig, host: string, stream: string): string {
  return `rtsp://${host}:${config.RTSP_PORT}/${stream}`;
}

export function rtmpUrl(config: GatewayConfig, host: string, stream: string): string {
  return `rtmp://${host}:${config.RTMP_PORT}/live/${stream}`;
}
