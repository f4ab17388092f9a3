/**
 * FLV script data tag, FLV spec v10.1 Annex E.4.4: AMF0 name (String) then value, in
 * practice "onMetaData" + ECMA Array. Over RTMP, publishers send it as a data message
 * (§7.1.2) wrapped as "@setDataFrame", "onMetaData", {...}; the wrapper is removed here.
 */
import { Amf0DecoderOptions, decodeAmf0 } from '../amf0/amf0-decoder';
import { Amf0Value } from '../amf0/amf0-types';
import { FlvError } from './flv-error';

export interface ScriptTag {
  name: string;
  value: Amf0Value;
  /** True when the body was wrapped in "@setDataFrame". */
  setDataFrame: boolean;
}

export function parseScriptTag(body: Uint8Array, options?: Amf0DecoderOptions): ScriptTag {
  const values = decodeAmf0(body, options);
  let i = 0;
  const setDataFrame = values[0] === '@setDataFrame';
  if (setDataFrame) i = 1;
  const name = values[i];
  if (typeof name !== 'string') throw new FlvError('script tag without a name');
  return { name, value: values[i + 1], setDataFrame };
}
