/**
 * Camera URL guard against server-side request forgery: the gateway connects only to
 * rtsp/rtsps URLs whose host resolves inside CAMERA_ALLOWED_NETWORKS. It runs when a camera is
 * added (a clear 400) and again on every connect (a name may resolve elsewhere by then: DNS
 * rebinding); the connect then goes to the address that was checked, not to a second lookup.
 *
 * Link-local and cloud metadata ranges are refused whatever the allow list says: no camera
 * lives at 169.254.169.254, and a credential service does.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Private (RFC 1918, RFC 4193) and loopback ranges. */
export const DEFAULT_CAMERA_ALLOWED_NETWORKS = '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8,::1/128,fc00::/7';

/** Never a camera: link-local (RFC 3927, RFC 4291 §2.5.6), AWS's IPv6 metadata, unspecified, multicast. */
const ALWAYS_REFUSED = [
  '169.254.0.0/16', 'fe80::/10', 'fd00:ec2::/32', '0.0.0.0/8', '::/128', '224.0.0.0/4', 'ff00::/8', '255.255.255.255/32',
];

/** Resolves a host name to every address it has (tests inject their own). */
export type HostResolver = (host: string) => Promise<string[]>;

export const systemResolver: HostResolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export class CameraUrlRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CameraUrlRefused';
  }
}

export class CidrListError extends Error {
  constructor(readonly entry: string) {
    super(`"${entry}" is not a CIDR (expected e.g. 10.0.0.0/8 or fc00::/7)`);
    this.name = 'CidrListError';
  }
}

/** Parses `a.b.c.d/n,x::/m,...` (a bare address is a /32 or /128) into a BlockList. */
export function parseCidrList(text: string): BlockList {
  const list = new BlockList();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(entry);
    const family = m ? isIP(m[1]) : 0;
    if (!m || family === 0) throw new CidrListError(entry);
    const bits = m[2] === undefined ? (family === 4 ? 32 : 128) : Number(m[2]);
    if (bits > (family === 4 ? 32 : 128)) throw new CidrListError(entry);
    list.addSubnet(m[1], bits, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/** Control characters (C0, DEL, C1): never valid in a URL or a credential we forward. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

export interface CameraUrlGuardOptions {
  allowedNetworks: string;
  resolve?: HostResolver;
}

export class CameraUrlGuard {
  private readonly allowed: BlockList;
  private readonly refused = parseCidrList(ALWAYS_REFUSED.join(','));
  private readonly resolve: HostResolver;

  constructor(options: CameraUrlGuardOptions) {
    this.allowed = parseCidrList(options.allowedNetworks);
    this.resolve = options.resolve ?? systemResolver;
  }

  /**
   * Checks a camera URL; returns the address to connect to (the first allowed one). Throws
   * CameraUrlRefused with a message a person can act on.
   */
  async check(rawUrl: string): Promise<string> {
    if (CONTROL_CHARACTERS.test(rawUrl)) throw new CameraUrlRefused('the camera URL contains control characters');
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new CameraUrlRefused('the camera URL is not a valid URL');
    }
    if (url.protocol !== 'rtsp:' && url.protocol !== 'rtsps:') throw new CameraUrlRefused(`${url.protocol}// camera URLs are not allowed (only rtsp:// and rtsps://)`);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (host === '') throw new CameraUrlRefused('the camera URL has no host');
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      try {
        addresses = await this.resolve(host);
      } catch (err) {
        throw new CameraUrlRefused(`camera host ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'lookup failed'})`);
      }
    }
    if (addresses.length === 0) throw new CameraUrlRefused(`camera host ${host} does not resolve`);
    // Every address must pass: a name with one private and one metadata address is refused.
    for (const address of addresses) this.checkAddress(host, address);
    return addresses[0];
  }

  private checkAddress(host: string, address: string): void {
    const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const plain = v4mapped ? v4mapped[1] : address;
    const family = isIP(plain) === 6 ? 'ipv6' : 'ipv4';
    const shown = host === plain ? plain : `${host} (${plain})`;
    if (this.refused.check(plain, family)) {
      throw new CameraUrlRefused(`camera host ${shown} is a link-local or metadata address, which is never allowed`);
    }
    if (!this.allowed.check(plain, family)) {
      throw new CameraUrlRefused(`camera host ${shown} is outside CAMERA_ALLOWED_NETWORKS`);
    }
  }
}
