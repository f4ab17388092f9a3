/**
 * The output identity of a stream that every packetizer derives alike from the stream name:
 * the SSRC of each output track and the base of its timeline (on the arrival clock, see
 * TimestampMapper `onArrivalClock`). A packetizer that takes a stream over from one that died
 * (leased mode) sends the same SSRCs on about the same timeline, so the readers' RTP receivers
 * (GStreamer's jitter buffer, ffmpeg) see one source with a gap, not a new source at a random
 * time. Sequence numbers start at random (RFC 3550 §5.1): the count sent is not derivable.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AUDIO_TRACK, OutputTrack, VIDEO_TRACK } from './media/access-unit';

function derive(stream: string, field: string): number {
  return createHash('sha256').update(stream, 'utf8').update('\0').update(field).digest().readUInt32BE(0);
}

export interface OutputIdentity {
  ssrc: Record<OutputTrack, number>;
  timelineBase: Record<OutputTrack, number>;
}

export function outputIdentity(stream: string): OutputIdentity {
  const video = derive(stream, 'ssrc/video');
  let audio = derive(stream, 'ssrc/audio');
  // One RTP session per track, but keep them apart anyway (RFC 3550 §8: unique in a session).
  if (audio === video) audio = (audio ^ 1) >>> 0;
  return {
    ssrc: { [VIDEO_TRACK]: video, [AUDIO_TRACK]: audio },
    timelineBase: { [VIDEO_TRACK]: derive(stream, 'timeline/video'), [AUDIO_TRACK]: derive(stream, 'timeline/audio') },
  };
}

/**
 * What a packetizer hands the next owner of a stream (store key `handover/<s>`, rewritten with
 * its status each second in leased mode, and on release): per output track, where its timeline
 * stands and the next sequence number. The next owner continues both (StreamState), so readers
 * see the takeover as a gap in one stream: timestamps advance by the time that passed, sequence
 * numbers by about the packets that would have been sent (a forward gap is loss to a receiver;
 * a backward one is "too late", and GStreamer's jitter buffer drops or resets on it).
 */
export const TrackHandover = z.object({
  clockRate: z.number().int().positive(),
  rtpTimestamp: z.number().int().min(0).max(0xffffffff),
  atMs: z.number().finite(),
  newest: z.number().int().min(0).max(0xffffffff),
  nextSequence: z.number().int().min(0).max(0xffff),
  /** Packets sent per second lately: how far the next owner moves the sequence on. */
  packetsPerSecond: z.number().min(0).max(1_000_000),
});
export type TrackHandover = z.infer<typeof TrackHandover>;

export const OutputHandover = z.object({
  tracks: z.object({ [VIDEO_TRACK]: TrackHandover.optional(), [AUDIO_TRACK]: TrackHandover.optional() }),
});
export type OutputHandover = z.infer<typeof OutputHandover>;

export const outputHandoverKey = (stream: string): string => `handover/${stream}`;
/** A handover older than this is not continued (the readers have long given up on the timeline). */
export const OUTPUT_HANDOVER_TTL_MS = 60_000;

/** A stored handover, or undefined when it is missing or malformed (then the derived identity alone applies). */
export function parseOutputHandover(text: string | undefined): OutputHandover | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = OutputHandover.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Largest step a handover moves a sequence on: a quarter of the space, clear of looking backward. */
const MAX_HANDOVER_SEQUENCE_STEP = 0x3fff;

/**
 * The first sequence number to send after a handover at `nowMs`: past every packet the previous
 * owner can have sent since it wrote the record (its rate, with a quarter to spare, plus 64).
 */
export function sequenceAfterHandover(track: TrackHandover, nowMs: number): number {
  const elapsedS = Math.max(0, nowMs - track.atMs) / 1000;
  const step = Math.min(MAX_HANDOVER_SEQUENCE_STEP, Math.ceil(track.packetsPerSecond * elapsedS * 1.25) + 64);
  return (track.nextSequence + step) & 0xffff;
}
