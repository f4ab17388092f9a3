import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from './ports';
import { spawnTracked, TrackedProcess, waitFor } from './processes';

/** Debian's libnginx-mod-rtmp. */
const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export interface NginxRtmp {
  readonly port: number;
  /** nginx runs as one process (master_process off), so this is the pid to measure. */
  readonly process: TrackedProcess;
  url(key: string, app?: string): string;
  stop(): Promise<void>;
}

export interface NginxRtmpOptions {
  /** Applications with `live on`; default ['live']. */
  apps?: string[];
  startTimeoutMs?: number;
}

function config(dir: string, port: number, apps: string[]): string {
  const applications = apps.map((a) => `      application ${a} { live on; record off; }`).join('\n');
  return `load_module ${RTMP_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    chunk_size 4096;
${applications}
  }
}
`;
}

function accepts(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(undefined));
  });
}

/** nginx with the RTMP module on a free loopback port: an RTMP server nobody here wrote. */
export async function startNginxRtmp(options: NginxRtmpOptions = {}): Promise<NginxRtmp> {
  const apps = options.apps ?? ['live'];
  const nginx = await runNginx((dir, port) => config(dir, port, apps), options.startTimeoutMs);
  return { ...nginx, url: (key, app = apps[0]) => `rtmp://127.0.0.1:${nginx.port}/${app}/${key}` };
}

export interface NginxStatic {
  readonly port: number;
  /** One process (master_process off): the pid to measure. */
  readonly process: TrackedProcess;
  stop(): Promise<void>;
}

function staticConfig(dir: string, port: number, root: string): string {
  // Temp paths inside the prefix: Debian's defaults (/var/lib/nginx) are root's.
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`).join('\n');
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
${temp}
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  types { application/vnd.apple.mpegurl m3u8; video/mp4 mp4; }
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location ~ \\.m3u8$ { add_header Cache-Control no-cache; }
    location ~ \\.mp4$ { add_header Cache-Control "public, max-age=3600"; }
  }
}
`;
}

/**
 * nginx serving `root` as static files over HTTP on a free loopback port (one worker, no
 * access log): the peer a static-file HLS origin is compared with.
 */
export function startNginxStatic(root: string, startTimeoutMs?: number): Promise<NginxStatic> {
  return runNginx((dir, port) => staticConfig(dir, port, root), startTimeoutMs);
}

/** Writes the config made for a fresh prefix dir and free port, starts nginx and waits until it accepts. */
async function runNginx(makeConfig: (dir: string, port: number) => string, startTimeoutMs = 10_000): Promise<NginxStatic> {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-nginx-'));
  const port = await freeTcpPort();
  writeFileSync(join(dir, 'nginx.conf'), makeConfig(dir, port));
  // -e: nginx opens its default error log before reading the config unless told otherwise.
  const proc = spawnTracked('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr']);
  const stop = async (): Promise<void> => {
    await proc.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const exited = proc.exited.then((s) => {
      throw new Error(`nginx exited (code ${s.code}) before listening: ${proc.stderr().trim()}`);
    });
    await Promise.race([exited, waitFor(() => accepts(port), startTimeoutMs, 'nginx to listen')]);
    exited.catch(() => undefined);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, process: proc, stop };
}
