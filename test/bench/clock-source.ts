/**
 * A live source that draws the wall clock into its frames, and the page code that reads it back
 * from the frame on screen: glass-to-glass latency without OCR.
 *
 * The clock is a row of CLOCK_BITS blocks, 16x16 px each, white for 1, in the top-left corner:
 * bit i of floor(send time / CLOCK_UNIT_MS) mod 2^CLOCK_BITS, least significant first. ffmpeg's
 * `geq` evaluates `time(0)` (the wall clock, libavutil/eval.c) when lavfi makes the frame, which
 * `-re` paces like a camera, so the value is the capture time. The row is drawn twice; a frame
 * whose two rows differ (the clock ticked while geq ran) is not counted.
 *
 *   y 0..15   [b0][b1][b2] ... [b23]    bits of floor(ms / 10) mod 2^24
 *   y 16..31  [b0][b1][b2] ... [b23]    the same, evaluated again
 */
import { TrackedProcess, spawnTracked } from '@streamgate/testing';

export const CLOCK_BITS = 24;
export const CLOCK_UNIT_MS = 10;
const BLOCK = 16;

export interface ClockSourceOptions {
  width: number;
  height: number;
  fps: number;
  gopFrames: number;
  videoBitrateKbps: number;
}

/**
 * ffmpeg encoding testsrc2 with the clock drawn over it (x264 veryfast, tune zerolatency: a
 * camera's encoder holds no look-ahead frames) and an AAC sine, pushed to `rtmpUrl` in real time.
 */
export function pushClockSource(rtmpUrl: string, o: ClockSourceOptions): TrackedProcess {
  const bit = `255*mod(floor(floor(time(0)*${1000 / CLOCK_UNIT_MS})/pow(2,X)),2)`;
  const graph = [
    `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}[bg]`,
    `color=c=black:size=${CLOCK_BITS}x2:rate=${o.fps},geq=lum='${bit}':cb=128:cr=128,scale=${CLOCK_BITS * BLOCK}:${2 * BLOCK}:flags=neighbor[clock]`,
    '[bg][clock]overlay=0:0[out0]',
  ].join(';');
  const k = o.videoBitrateKbps;
  return spawnTracked('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-re', '-f', 'lavfi', '-i', graph,
    '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-c:v', 'libx264', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-preset', 'veryfast', '-tune', 'zerolatency',
    '-bf', '0', '-g', String(o.gopFrames), '-keyint_min', String(o.gopFrames), '-sc_threshold', '0',
    '-b:v', `${k}k`, '-maxrate', `${k}k`, '-bufsize', `${2 * k}k`,
    '-c:a', 'aac', '-b:a', '128k', '-ac', '2',
    '-f', 'flv', rtmpUrl,
  ]);
}

/**
 * Page script (a string for page.evaluate): for every frame the <video id="v"> presents
 * (requestVideoFrameCallback), draws the clock rows to a canvas, decodes them and pushes
 * `display time − send time` (ms) to `window.glassToGlass`; unreadable frames count in
 * `window.clockUnreadable`.
 */
export const READ_CLOCK_SCRIPT = `(() => {
  const BITS = ${CLOCK_BITS}, UNIT = ${CLOCK_UNIT_MS}, BLOCK = ${BLOCK}, MOD = 2 ** ${CLOCK_BITS};
  const v = document.getElementById('v');
  const canvas = document.createElement('canvas');
  canvas.width = BITS * BLOCK;
  canvas.height = 2 * BLOCK;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  window.glassToGlass = [];
  window.clockUnreadable = 0;
  const row = (pixels, r) => {
    let value = 0;
    for (let i = 0; i < BITS; i++) {
      const o = ((r * BLOCK + BLOCK / 2) * canvas.width + i * BLOCK + BLOCK / 2) * 4;
      if (pixels[o] + pixels[o + 1] + pixels[o + 2] > 384) value += 2 ** i;
    }
    return value;
  };
  const onFrame = (now, meta) => {
    const shown = performance.timeOrigin + (meta.expectedDisplayTime || now);
    g.drawImage(v, 0, 0, canvas.width, canvas.height, 0, 0, canvas.width, canvas.height);
    const pixels = g.getImageData(0, 0, canvas.width, canvas.height).data;
    const a = row(pixels, 0);
    if (a !== row(pixels, 1)) window.clockUnreadable++;
    else {
      const units = ((Math.floor(shown / UNIT) - a) % MOD + MOD) % MOD;
      window.glassToGlass.push(units * UNIT + (shown % UNIT) - UNIT / 2);
    }
    v.requestVideoFrameCallback(onFrame);
  };
  v.requestVideoFrameCallback(onFrame);
})()`;
