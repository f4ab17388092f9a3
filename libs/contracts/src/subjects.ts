import { assertStreamName } from './stream-name';

/**
 * Every bus subject in one place. Stream names are validated before they become a subject
 * token, so a name can never inject `.`, `*` or `>`.
 *
 * | subject                      | kind            | payload                                |
 * |------------------------------|-----------------|----------------------------------------|
 * | media.<s>.in                 | publish         | RtpBatchMessage / CodecUnitMessage (bin)|
 * | media.<s>.out                | publish         | AccessUnitMessage (binary)             |
 * | stream.<s>.events            | publish         | StreamEvent (JSON)                     |
 * | packetizer.<s>.describe      | request/reply   | → StreamDescription (JSON)             |
 * | packetizer.<s>.gop           | request/reply   | → AccessUnitMessage[] (binary, framed) |
 * | packetizer.<s>.frame         | request/reply   | → LatestFrame (binary)                 |
 * | ingest.rtmp.list             | request/reply   | → RtmpPublisherList (JSON)             |
 * | ingest.rtmp.kick             | request/reply   | RtmpKickRequest → RtmpKickReply (JSON)  |
 * | ingest.<s>.source            | request/reply   | → SourceDescription (JSON)             |
 * | ingest.<s>.demand            | request/reply   | SourceDemand → SourceDemandReply (JSON) |
 * | registry.streams.changed     | publish         | RegistryChanged (JSON)                 |
 */
export const Subjects = {
  mediaIn: (stream: string): string => `media.${assertStreamName(stream)}.in`,
  mediaOut: (stream: string): string => `media.${assertStreamName(stream)}.out`,
  streamEvents: (stream: string): string => `stream.${assertStreamName(stream)}.events`,
  describe: (stream: string): string => `packetizer.${assertStreamName(stream)}.describe`,
  gop: (stream: string): string => `packetizer.${assertStreamName(stream)}.gop`,
  latestFrame: (stream: string): string => `packetizer.${assertStreamName(stream)}.frame`,

  allMediaIn: 'media.*.in',
  allStreamEvents: 'stream.*.events',
  allDescribe: 'packetizer.*.describe',
  allGop: 'packetizer.*.gop',
  allLatestFrame: 'packetizer.*.frame',
} as const;

/** Ingest's request/reply subjects (the control API and a late packetizer ask them); `source` is answered only by the instance that has the source. */
export const IngestSubjects = {
  rtmpList: 'ingest.rtmp.list',
  rtmpKick: 'ingest.rtmp.kick',
  source: (stream: string): string => `ingest.${assertStreamName(stream)}.source`,
  allSources: 'ingest.*.source',
  /** A consumer needs the stream (on-demand cameras); only the instance pulling it answers. */
  demand: (stream: string): string => `ingest.${assertStreamName(stream)}.demand`,
  allDemands: 'ingest.*.demand',
} as const;

/** Published whenever the registry changes, so ingest instances reconcile at once. */
export const REGISTRY_CHANGED_SUBJECT = 'registry.streams.changed';

/** Extracts `<s>` from `prefix.<s>.suffix`; undefined when the subject has another shape. */
export function streamFromSubject(subject: string): string | undefined {
  const parts = subject.split('.');
  return parts.length === 3 ? parts[1] : undefined;
}
