/** `tail` followed by `bytes`: what an incremental parser holds after the next read. */
export function appendBytes(tail: Uint8Array, bytes: Uint8Array): Uint8Array {
  if (tail.byteLength === 0) return bytes;
  const out = new Uint8Array(tail.byteLength + bytes.byteLength);
  out.set(tail, 0);
  out.set(bytes, tail.byteLength);
  return out;
}
