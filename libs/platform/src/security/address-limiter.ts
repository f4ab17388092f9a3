/**
 * Connections held per peer address, on one listener (RTMP, RTSP, HTTP): one address cannot
 * take every slot of a port while others still get theirs. IPv4-mapped IPv6 addresses count
 * as their IPv4 address.
 */
export class AddressLimiter {
  private readonly counts = new Map<string, number>();

  constructor(readonly maxPerAddress: number) {}

  /** Takes a slot for `address`; returns its release (idempotent), or undefined when full. */
  acquire(rawAddress: string | undefined): (() => void) | undefined {
    const address = normalizeAddress(rawAddress);
    const n = this.counts.get(address) ?? 0;
    if (n >= this.maxPerAddress) return undefined;
    this.counts.set(address, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(address) ?? 1) - 1;
      if (left <= 0) this.counts.delete(address);
      else this.counts.set(address, left);
    };
  }

  held(rawAddress: string | undefined): number {
    return this.counts.get(normalizeAddress(rawAddress)) ?? 0;
  }
}

export function normalizeAddress(address: string | undefined): string {
  return (address ?? 'unknown').replace(/^::ffff:/i, '');
}
