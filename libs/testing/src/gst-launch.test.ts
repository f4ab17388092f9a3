import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { gstLaunchErrors } from './gst-launch';

const EOS = 'Setting pipeline to PLAYING ...\nGot EOS from element "pipeline0".\nExecution ended after 0:00:00.1\n';

/**
 * What rtspsrc prints when a request's send fails: the try_send error, then the error of the
 * request that sent it (`site`: its source line and function in gstrtspsrc.c 1.22).
 */
function sendFailed(site: string): string {
  const element = 'ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Could not write to resource.';
  const at = (where: string): string => `../gst/rtsp/gstrtspsrc.c(${where} (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:`;
  const eof = 'Could not send message. (Received end-of-file)';
  return [element, 'Additional debug info:', at('6766): gst_rtspsrc_try_send'), eof, element, 'Additional debug info:', at(site), eof, ''].join('\n');
}

/** gst-launch 1.22 stderr of the PAUSE/CLOSE race, captured in CI (stop 17) and here with GST_DEBUG=rtspsrc:6. */
const PAUSE_RACE = sendFailed('9240): gst_rtspsrc_pause');
const SERVER_CLOSED_ON_PLAY = sendFailed('8870): gst_rtspsrc_play');

describe('gstLaunchErrors', () => {
  it('leaves out rtspsrc 1.22\'s PAUSE/CLOSE shutdown race after EOS (capture)', () => {
    assert.deepEqual(gstLaunchErrors(EOS, PAUSE_RACE), []);
  });

  it('keeps the same race when the pipeline never reached EOS', () => {
    assert.equal(gstLaunchErrors('Setting pipeline to PLAYING ...\n', PAUSE_RACE).length, 2);
  });

  it('keeps a connection closed on PLAY, and every other error', () => {
    assert.equal(gstLaunchErrors(EOS, SERVER_CLOSED_ON_PLAY).length, 2);
    const decodeError = 'WARNING: from element /x: late\nERROR: from element /GstPipeline:pipeline0/avdec_h264:avdec_h264-0: Internal data stream error.\nAdditional debug info:\nfoo\n';
    const errors = gstLaunchErrors(EOS, PAUSE_RACE + decodeError);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /avdec_h264/);
  });
});
