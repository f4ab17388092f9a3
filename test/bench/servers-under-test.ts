import {
  delay, ffmpegPushRtmp, RtspReader, startGstRtspServer, TestClip, TrackedProcess, waitFor,
} from '@streamgate/testing';
import { startAllInOne } from './gateway-process';

/** One RTSP server in the benchmark: the process we measure and the URL readers play. */
export interface ServerUnderTest {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  /** Extra processes feeding the server (not measured), for the report. */
  readonly feeders: string;
  /** Ends the server and anything that feeds it. */
  stop(): Promise<void>;
  /** What readers answer the server's 401 with, when it asks. */
  readonly credentials?: { username: string; password: string };
}

const STREAM = 'bench';

/** Waits until the URL can be played (DESCRIBE, SETUP and PLAY succeed), then leaves. */
async function waitPlayable(url: string, ms: number, credentials?: { username: string; password: string }): Promise<void> {
  await waitFor(async () => {
    const reader = await RtspReader.open(url, { transport: 'tcp', timeoutMs: 3000, credentials });
    await reader.close();
    return true;
  }, ms, `${url} to become playable`, 500);
}

/**
 * Where a server listens: 127.0.0.1 by default; `all` for readers that reach it from another
 * network namespace (veth-link.ts), its URL still naming 127.0.0.1 for the benchmark itself.
 */
export type ListenOn = 'loopback' | 'all';

/** GStreamer's RTSP server serving the clip's MP4 from one shared pipeline (like one camera). */
export async function startGstreamerUnderTest(clip: TestClip, listen: ListenOn = 'loopback'): Promise<ServerUnderTest> {
  const server = await startGstRtspServer({
    mounts: [STREAM], file: clip.mp4, shared: true, statusIntervalMs: 1000, ...(listen === 'all' ? { address: '0.0.0.0' } : {}),
  });
  const url = server.url(STREAM);
  // Prerolling the 1080p MP4 takes GStreamer over 15 s on a busy 2-core machine.
  await waitPlayable(url, 60_000);
  return {
    name: 'gstreamer',
    pid: server.process.pid,
    url,
    feeders: 'none (reads the MP4 itself: filesrc ! qtdemux ! h264parse/aacparse ! rtph264pay/rtpmp4gpay)',
    stop: () => server.stop(),
  };
}


/** The all-in-one gateway as a child process, fed by ffmpeg pushing the FLV in a loop over RTMP. */
/** With `digest`, readers must answer a Digest challenge (a users list, RTSP_AUTH_METHODS=digest). */
export async function startStreamgateUnderTest(
  clip: TestClip, startTimeoutMs = 30_000, options: { digest?: boolean; listen?: ListenOn } = {},
): Promise<ServerUnderTest> {
  const credentials = options.digest ? { username: 'bench', password: 'bench-pw' } : undefined;
  const env: Record<string, string> = options.listen === 'all' ? { HOST: '0.0.0.0' } : {};
  if (credentials) {
    env.AUTH_USERS = JSON.stringify([{ user: credentials.username, pass: credentials.password, permissions: [{ action: 'read' }, { action: 'publish' }] }]);
    env.RTSP_AUTH_METHODS = 'digest';
  }
  const gateway = await startAllInOne(env, startTimeoutMs);
  let pusher: TrackedProcess | undefined;
  const stop = async (): Promise<void> => {
    await pusher?.kill();
    await gateway.stop();
  };
  try {
    const query = credentials ? `?user=${credentials.username}&pass=${credentials.password}` : '';
    pusher = ffmpegPushRtmp(`rtmp://127.0.0.1:${gateway.rtmpPort}/live/${STREAM}${query}`, { clip: clip.flv, loop: true, realtime: true });
    const url = `rtsp://127.0.0.1:${gateway.rtspPort}/${STREAM}`;
    await waitPlayable(url, 20_000, credentials);
    // Let ingest, packetizer and egress reach steady state before anything is measured.
    await delay(1000);
    if (pusher.child.exitCode !== null) throw new Error(`ffmpeg pusher exited: ${pusher.stderr()}`);
    return {
      name: credentials ? 'streamgate-digest' : 'streamgate',
      pid: gateway.pid,
      url,
      credentials,
      feeders: 'ffmpeg -re -stream_loop -1 -i clip.flv -c copy -f flv rtmp://… (not measured)',
      stop,
    };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const tail = gateway.proc.stderr().slice(-1500) + (pusher ? pusher.stderr().slice(-500) : '');
    await stop();
    throw new Error(`${why}${tail ? `\n--- stderr tail ---\n${tail}` : ''}`);
  }
}
