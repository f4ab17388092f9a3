import { ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TrackedProcess, delay, killAll, spawnTracked, waitFor, withTimeout } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { startTestGateway, waitForStream } from './gateway-harness';

/**
 * Issue #11 item 7: `GET /api/streams/<s>/frame?format=jpeg` shows the *latest* picture (decoded
 * from the last keyframe through the latest unit), not the keyframe up to a GOP old.
 *
 * No OCR here: the source writes its frame number into every picture as 16 black/white blocks
 * (lavfi geq on the frame index N, bit i in the block at x = 20i..20i+19 of the top 40 rows).
 * A live ffmpeg reader of the same stream over RTSP reads the number of every frame it decodes,
 * so at each JPEG request we know the newest frame a reader had; the JPEG's own number may be
 * behind that by no more than 100 ms of frames (plus one for rounding). The GOP is 2 s (50
 * frames) and the requests fall across it, so a keyframe-only snapshot (up to 49 frames old)
 * fails them.
 */
const FPS = 25;
const GOP = 50;
const W = 320;
const STRIP = 40;
const BITS = 16;
const BLOCK = W / BITS;

// Quoted expressions: their commas are not filter separators.
const PATTERN = `testsrc2=size=${W}x240:rate=${FPS},format=yuv420p,`
  + `geq=lum='if(lt(Y,${STRIP}),255*mod(floor(N/pow(2,floor(X/${BLOCK}))),2),p(X,Y))'`
  + `:cb='if(lt(Y,${STRIP / 2}),128,p(X,Y))':cr='if(lt(Y,${STRIP / 2}),128,p(X,Y))'`;

/** The frame number drawn in a gray strip (W × STRIP bytes, one per pixel). */
function frameNumber(gray: Uint8Array): number {
  let n = 0;
  for (let bit = 0; bit < BITS; bit++) if (gray[(STRIP / 2) * W + bit * BLOCK + BLOCK / 2] > 128) n |= 1 << bit;
  return n;
}

const CROP = ['-vf', `crop=${W}:${STRIP}:0:0,format=gray`, '-f', 'rawvideo'];

/** ffmpeg with binary stdout (spawnTracked reads text), killed by PID in `after`. */
const binaryChildren: ChildProcess[] = [];
function ffmpegBinary(args: string[], onData: (d: Buffer) => void): ChildProcess {
  const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  binaryChildren.push(child);
  child.stdout.on('data', onData);
  return child;
}

/** Decodes a JPEG with ffmpeg and reads its frame number. */
async function jpegFrameNumber(jpeg: Buffer): Promise<number> {
  const chunks: Buffer[] = [];
  const child = ffmpegBinary(['-f', 'image2pipe', '-c:v', 'mjpeg', '-i', 'pipe:0', ...CROP, 'pipe:1'], (d) => chunks.push(d));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  child.stdin?.end(jpeg);
  const code = await withTimeout(exited, 10_000, 'decoding the JPEG');
  const gray = Buffer.concat(chunks);
  assert.equal(code, 0, stderr);
  assert.equal(gray.byteLength, W * STRIP, 'one picture');
  return frameNumber(gray);
}

describe('GET /frame?format=jpeg is the latest picture (frame numbers drawn by the source)', { timeout: 180_000 }, () => {
  let gw: Gateway;
  let push: TrackedProcess;
  /** [frame number, ms when the reader had it decoded] */
  const seen: Array<[number, number]> = [];

  before(async () => {
    gw = await startTestGateway();
    // No B-frames: the reader shows each frame as soon as it has it, so "newest seen" is live.
    push = spawnTracked('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', PATTERN,
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-bf', '0', '-g', String(GOP), '-keyint_min', String(GOP), '-sc_threshold', '0',
      '-b:v', '800k', '-t', '120', '-f', 'flv', `rtmp://127.0.0.1:${gw.rtmpPort}/live/counter`]);
    await waitForStream(gw.rtspPort, 'counter', 20_000);
    let pending = Buffer.alloc(0);
    ffmpegBinary(['-rtsp_transport', 'tcp', '-fflags', 'nobuffer', '-flags', 'low_delay',
      '-i', `rtsp://127.0.0.1:${gw.rtspPort}/counter`, '-an', ...CROP, '-flush_packets', '1', 'pipe:1'], (d) => {
      const now = Date.now();
      pending = Buffer.concat([pending, d]);
      while (pending.byteLength >= W * STRIP) {
        seen.push([frameNumber(pending.subarray(0, W * STRIP)), now]);
        pending = pending.subarray(W * STRIP);
      }
    });
    await waitFor(() => (seen.length > FPS ? true : undefined), 20_000, 'the reader decoding frame numbers');
  });

  after(async () => {
    for (const c of binaryChildren) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await push?.kill();
    await killAll();
    await gw?.stop();
  });

  test('the reader reads consecutive frame numbers (the pattern survives the encode)', () => {
    const recent = seen.slice(-FPS).map(([n]) => n);
    for (let i = 1; i < recent.length; i++) assert.equal(recent[i], recent[i - 1] + 1, `frame numbers ${recent.join(',')}`);
  });

  test('across the GOP, each JPEG is no more than 100 ms of frames behind the newest frame a live reader had when it was asked for', async (t) => {
    const lags: number[] = [];
    const took: number[] = [];
    for (let i = 0; i < 8; i++) {
      // Spread over more than one GOP (2 s), at offsets that do not repeat.
      await delay(330 + 37 * i);
      const newest = seen.at(-1);
      assert.ok(newest, 'the reader has frames');
      const asked = Date.now();
      const res = await fetch(`http://127.0.0.1:${gw.httpPort}/api/streams/counter/frame?format=jpeg`);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get('content-type'), 'image/jpeg');
      const age = Number(res.headers.get('x-frame-age-ms'));
      const decodeMs = Date.now() - asked;
      const shown = await jpegFrameNumber(Buffer.from(await res.arrayBuffer()));
      const behind = newest[0] - shown;
      lags.push(behind);
      took.push(decodeMs);
      // A misread pattern would give any number; the reader lags the gateway by well under 1 s.
      assert.ok(shown <= newest[0] + FPS, `the JPEG shows frame ${shown}, the reader had ${newest[0]}`);
      // 100 ms at 25 fps is 2.5 frames.
      assert.ok(behind <= Math.ceil(0.1 * FPS), `JPEG shows frame ${shown}, the reader had ${newest[0]} (${behind} frames behind; request took ${decodeMs} ms)`);
      // The header: the latest unit's age when answered (the source's arrival under load varies; the frame number above is the real bound).
      assert.ok(Number.isFinite(age) && age >= 0 && age <= 1000 + decodeMs, `X-Frame-Age-Ms ${age} (request took ${decodeMs} ms)`);
    }
    t.diagnostic(`JPEG frames behind the live reader: ${lags.join(', ')}; request ms: ${took.join(', ')}`);
  });
});
