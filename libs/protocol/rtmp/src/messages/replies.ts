/**
 * The replies publishing clients wait for (Adobe RTMP spec 1.0 §7.2.1.1 connect, §7.2.1.3
 * createStream, §7.2.2.6 publish / onStatus). FCPublish, releaseStream and onFCPublish are not
 * in the spec: they come from FMS and are what FFmpeg, OBS and Wirecast send and expect
 * (nginx-rtmp answers them the same way).
 */
import { Amf0Object, Amf0Value } from '../amf0/amf0-types';
import { RtmpMessage } from '../chunk/rtmp-message';
import { encodeCommand } from './command';

export interface StatusInfo {
  level: 'status' | 'error' | 'warning';
  code: string;
  description: string;
}

export const StatusCode = {
  ConnectSuccess: 'NetConnection.Connect.Success',
  CallFailed: 'NetConnection.Call.Failed',
  PublishStart: 'NetStream.Publish.Start',
  PublishBadName: 'NetStream.Publish.BadName',
  /** The publish is refused: its media cannot be carried (codec), or access control said no. */
  PublishRejected: 'NetStream.Publish.Rejected',
  UnpublishSuccess: 'NetStream.Unpublish.Success',
  PlayFailed: 'NetStream.Play.Failed',
} as const;

/** `_result` of connect: server properties, then the NetConnection.Connect.Success info object. */
export function connectResult(transactionId: number, objectEncoding = 0): RtmpMessage {
  return encodeCommand({
    name: '_result',
    transactionId,
    commandObject: { fmsVer: 'FMS/3,0,1,123', capabilities: 31 },
    args: [{
      level: 'status',
      code: StatusCode.ConnectSuccess,
      description: 'Connection succeeded.',
      objectEncoding,
    }],
  });
}

/** `_result` of createStream: the new message stream id. */
export function createStreamResult(transactionId: number, streamId: number): RtmpMessage {
  return encodeCommand({ name: '_result', transactionId, commandObject: null, args: [streamId] });
}

/** Plain `_result` acknowledging a call (releaseStream, FCPublish, FCUnpublish, ...). */
export function simpleResult(transactionId: number): RtmpMessage {
  return encodeCommand({ name: '_result', transactionId, commandObject: null, args: [] });
}

/** `_error` for a call the server does not handle. */
export function callError(transactionId: number, description: string): RtmpMessage {
  return encodeCommand({
    name: '_error',
    transactionId,
    commandObject: null,
    args: [{ level: 'error', code: StatusCode.CallFailed, description }],
  });
}

/** `onStatus` on a message stream (transaction id 0, null command object). */
export function onStatus(streamId: number, info: StatusInfo, extra: Amf0Object = {}): RtmpMessage {
  const obj: Amf0Value = { level: info.level, code: info.code, description: info.description, ...extra };
  return encodeCommand({ name: 'onStatus', transactionId: 0, commandObject: null, args: [obj] }, streamId);
}

export const publishStart = (streamId: number, name: string): RtmpMessage =>
  onStatus(streamId, { level: 'status', code: StatusCode.PublishStart, description: `${name} is now published.` }, { details: name });

export const publishBadName = (streamId: number, description: string): RtmpMessage =>
  onStatus(streamId, { level: 'error', code: StatusCode.PublishBadName, description });

export const publishRejected = (streamId: number, description: string): RtmpMessage =>
  onStatus(streamId, { level: 'error', code: StatusCode.PublishRejected, description });

export const unpublishSuccess = (streamId: number, name: string): RtmpMessage =>
  onStatus(streamId, { level: 'status', code: StatusCode.UnpublishSuccess, description: `${name} is now unpublished.` }, { details: name });

export const playFailed = (streamId: number, description: string): RtmpMessage =>
  onStatus(streamId, { level: 'error', code: StatusCode.PlayFailed, description });

/** `onFCPublish` (FMS extension) answering FCPublish. */
export function onFcPublish(name: string): RtmpMessage {
  return encodeCommand({
    name: 'onFCPublish',
    transactionId: 0,
    commandObject: null,
    args: [{ code: StatusCode.PublishStart, description: name }],
  });
}
