/**
 * Command messages, Adobe RTMP spec 1.0 §7.1.1 and §7.2: AMF0 (type 20) or AMF3 (type 17,
 * whose payload is one format byte 0x00 followed by AMF0 values in practice), laid out as
 *   command name (String) | transaction id (Number) | command object (Object or Null) | args...
 * Data messages (type 18, §7.1.2) use the same AMF0 body without the transaction id.
 */
import { Amf0DecoderOptions, decodeAmf0 } from '../amf0/amf0-decoder';
import { encodeAmf0 } from '../amf0/amf0-encoder';
import { Amf0Value } from '../amf0/amf0-types';
import { MessageType, RtmpMessage } from '../chunk/rtmp-message';
import { RtmpMessageError } from './message-error';

export interface RtmpCommand {
  name: string;
  transactionId: number;
  commandObject: Amf0Value;
  args: Amf0Value[];
}

/** Decodes an AMF0/AMF3 command message. Throws RtmpMessageError or Amf0Error. */
export function decodeCommand(msg: RtmpMessage, options?: Amf0DecoderOptions): RtmpCommand {
  let body = msg.payload;
  if (msg.typeId === MessageType.CommandAmf3) {
    if (body.byteLength < 1) throw new RtmpMessageError('empty AMF3 command', msg.typeId);
    body = body.subarray(1);
  } else if (msg.typeId !== MessageType.CommandAmf0) {
    throw new RtmpMessageError('not a command message', msg.typeId);
  }
  const values = decodeAmf0(body, options);
  const [name, transactionId, commandObject, ...args] = values;
  if (typeof name !== 'string') throw new RtmpMessageError('command name is not a string', msg.typeId);
  // Some clients omit the transaction id on notifications; treat a missing one as 0.
  const tid = transactionId === undefined || transactionId === null ? 0 : transactionId;
  if (typeof tid !== 'number') throw new RtmpMessageError(`transaction id of ${name} is not a number`, msg.typeId);
  return { name, transactionId: tid, commandObject: commandObject ?? null, args };
}

export function encodeCommand(cmd: RtmpCommand, streamId = 0): RtmpMessage {
  return {
    typeId: MessageType.CommandAmf0,
    streamId,
    timestamp: 0,
    payload: encodeAmf0(cmd.name, cmd.transactionId, cmd.commandObject, ...cmd.args),
  };
}
