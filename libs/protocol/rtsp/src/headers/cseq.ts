import { RtspParseError } from '../base/errors';

/** RFC 2326 §12.17 CSeq: a decimal sequence number, echoed in the response. */
export function parseCSeq(value: string): number {
  const v = value.trim();
  if (!/^\d{1,10}$/.test(v)) throw new RtspParseError(`invalid CSeq ${JSON.stringify(v.slice(0, 40))}`);
  const n = Number(v);
  if (n > 0xffffffff) throw new RtspParseError(`CSeq ${n} out of range`);
  return n;
}

export function formatCSeq(cseq: number): string {
  return String(cseq);
}
