/**
 * IP ranges of a user entry (`ips: ["192.168.1.0/24", "::1", "10.0.0.7"]`), as MediaMTX takes
 * them: a CIDR or a single address. IPv4-mapped IPv6 peers (`::ffff:10.0.0.7`, what a dual-stack
 * listener reports) match IPv4 ranges.
 */
export class IpRangeError extends Error {
  constructor(readonly value: string) {
    super(`invalid IP range ${JSON.stringify(value.slice(0, 64))}: expected an address or CIDR such as 192.168.1.0/24`);
    this.name = 'IpRangeError';
  }
}

export interface IpRange {
  readonly text: string;
  /** 4 or 16 bytes. */
  readonly network: Uint8Array;
  readonly prefix: number;
}

/** Address bytes (4 for IPv4, 16 for IPv6), IPv4-mapped IPv6 folded to IPv4; undefined if not an IP. */
export function addressBytes(address: string): Uint8Array | undefined {
  let text = address.trim();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (IPV4.test(text)) {
    const parts = text.split('.').map(Number);
    return parts.every((p) => p <= 255) ? Uint8Array.from(parts) : undefined;
  }
  const bytes = ipv6Bytes(text);
  if (!bytes) return undefined;
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const GROUP = /^[0-9a-fA-F]{1,4}$/;

/** RFC 4291 §2.2 text forms, including `::` and a trailing dotted quad; undefined when malformed. */
function ipv6Bytes(text: string): Uint8Array | undefined {
  // An embedded dotted quad (::ffff:1.2.3.4) becomes two groups.
  let t = text;
  const dotted = /:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(t);
  if (dotted) {
    const q = dotted[1].split('.').map(Number);
    if (q.some((v) => v > 255)) return undefined;
    t = `${t.slice(0, -dotted[1].length)}${((q[0] << 8) | q[1]).toString(16)}:${((q[2] << 8) | q[3]).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const h = halves[0] ? halves[0].split(':') : [];
  const tl = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  if (![...h, ...tl].every((g) => GROUP.test(g))) return undefined;
  if (halves.length === 1 ? h.length !== 8 : h.length + tl.length > 7) return undefined;
  const groups = halves.length === 1 ? h : [...h, ...new Array<string>(8 - h.length - tl.length).fill('0'), ...tl];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

export function parseIpRange(value: string): IpRange {
  const [addr, prefixText, extra] = value.trim().split('/');
  if (extra !== undefined) throw new IpRangeError(value);
  const network = addressBytes(addr);
  if (!network) throw new IpRangeError(value);
  const max = network.length * 8;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) throw new IpRangeError(value);
    prefix = Number(prefixText);
    // An IPv4-mapped range (::ffff:10.0.0.0/104) was folded to IPv4: shift its prefix too.
    if (network.length === 4 && addr.includes(':')) prefix -= 96;
    if (prefix < 0 || prefix > max) throw new IpRangeError(value);
  }
  return { text: value.trim(), network, prefix };
}

export function ipInRange(address: string | Uint8Array, range: IpRange): boolean {
  const bytes = typeof address === 'string' ? addressBytes(address) : address;
  if (!bytes || bytes.length !== range.network.length) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i] & mask) !== (range.network[i] & mask)) return false;
  }
  return true;
}
