/**
 * Reading `gst-launch-1.0` output the way a user reads it: the errors it reported, less one
 * shutdown race of GStreamer 1.22's rtspsrc that says nothing about the server.
 *
 * The race (captured with GST_DEBUG=rtspsrc:6 against our egress, see gst-launch.test.ts): once
 * the sink posts EOS, gst-launch takes the pipeline PLAYING→PAUSED→NULL at once. rtspsrc queues
 * PAUSE, then CLOSE flushes the connection while PAUSE is in flight ("connection flush busy
 * PAUSE"), so the PAUSE fails with "Could not send message. (Received end-of-file)" from
 * `gst_rtspsrc_pause`, and the TEARDOWN that follows on the same connection is answered normally.
 * Only that pair, and only after EOS, is left out: any other error, or this one before EOS,
 * still counts.
 */
export function gstLaunchErrors(stdout: string, stderr: string): string[] {
  const blocks = errorBlocks(stderr);
  const afterEos = /Got EOS from element/.test(stdout);
  const pauseRace = afterEos && blocks.some((b) => /gst_rtspsrc_pause \(\)/.test(b) && /\(Received end-of-file\)/.test(b));
  if (!pauseRace) return blocks;
  return blocks.filter((b) => !(/\(Received end-of-file\)/.test(b) && /gst_rtspsrc_(pause|try_send) \(\)/.test(b)));
}

/** Each "ERROR: from element …" message (gst-launch prints them on stderr) with its debug lines. */
function errorBlocks(stderr: string): string[] {
  return stderr.split(/^(?=ERROR: |WARNING: )/m).filter((b) => b.startsWith('ERROR: ')).map((b) => b.trimEnd());
}
