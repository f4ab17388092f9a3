import { spawn } from 'node:child_process';

export class SnapshotError extends Error {
  constructor(message: string, readonly busy = false) {
    super(message);
    this.name = 'SnapshotError';
  }
}

/** Largest JPEG we accept back from ffmpeg. */
const MAX_JPEG_BYTES = 16 << 20;

/**
 * Decodes Annex B video (starting with parameter sets and a keyframe) into a JPEG of its last
 * picture with an ffmpeg child process, bounded in time and in how many run at once. `pictures`
 * is how many access units the bytes hold: all are decoded, the last in presentation order is
 * kept (`select` on its index, so only that one is encoded).
 */
export class JpegSnapshotter {
  private running = 0;

  constructor(private readonly timeoutMs: number, private readonly concurrency: number, private readonly ffmpeg = 'ffmpeg') {}

  async toJpeg(annexB: Uint8Array, codec: 'h264' | 'h265', pictures = 1): Promise<Buffer> {
    if (this.running >= this.concurrency) throw new SnapshotError(`${this.concurrency} snapshots already running; try again shortly`, true);
    this.running++;
    try {
      return await this.run(annexB, codec, Math.max(1, Math.floor(pictures)));
    } finally {
      this.running--;
    }
  }

  private run(annexB: Uint8Array, codec: 'h264' | 'h265', pictures: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const last = pictures > 1 ? ['-vf', `select=eq(n\\,${pictures - 1})`] : [];
      const child = spawn(this.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', codec === 'h264' ? 'h264' : 'hevc',
        '-i', 'pipe:0', ...last, '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '3', 'pipe:1'], { stdio: ['pipe', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let size = 0;
      let stderr = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new SnapshotError(`decoding the frame took longer than ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      child.stdout.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_JPEG_BYTES) child.kill('SIGKILL');
        else chunks.push(d);
      });
      child.stderr.on('data', (d: Buffer) => {
        if (stderr.length < 4096) stderr += d.toString();
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new SnapshotError(`ffmpeg could not be started: ${err.message}`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0 && size > 0) resolve(Buffer.concat(chunks));
        else reject(new SnapshotError(`ffmpeg could not decode the frame: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}`));
      });
      // EPIPE when ffmpeg exits early is reported through 'close'.
      child.stdin.on('error', () => undefined);
      child.stdin.end(annexB);
    });
  }
}
