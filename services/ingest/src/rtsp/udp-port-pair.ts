/**
 * Client RTP/RTCP socket pairs for UDP transport (bound by the platform's one pair binder),
 * from RTSP_CLIENT_UDP_PORT_RANGE when set (firewalls), else kernel-picked. Keeps the range
 * cursor, so consecutive sessions rotate through the range.
 */
import { bindUdpPortPair, UdpPortPair } from '@streamgate/platform';

export type { UdpPortPair } from '@streamgate/platform';

export class UdpPortPairAllocator {
  private cursor = 0;

  constructor(private readonly range?: readonly [number, number]) {}

  /** Binds a pair on `host` (the local address facing the camera). */
  async bind(host: string): Promise<UdpPortPair> {
    const pair = await bindUdpPortPair({ host, range: this.range, cursor: this.cursor });
    if (this.range) this.cursor = pair.index + 1;
    return pair;
  }
}
