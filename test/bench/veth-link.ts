import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds } from './proc-stats';

/**
 * The readers' side of a network, on this machine: a network namespace of the benchmark's own,
 * joined to the host's by a veth pair, so readers sit one link away from the server as they do
 * across a LAN.
 *
 * Why: on loopback Linux delivers each datagram into the reader's socket (socket lookup, cutting
 * a GSO batch back into datagrams, queueing) inside the sender's own system call, so the server
 * is charged for its readers' receive path. On a network that work runs on the readers' hosts.
 * Here the readers' veth end receives through threaded NAPI (its kernel thread, napi/<dev>-N,
 * takes the receive path, and its CPU is reported apart); GRO with UDP forwarding is what lets
 * the veth hand the server's datagrams to that thread instead of receiving them inline.
 *
 * The server's end has TCP segmentation offload off: the server's kernel cuts its own TCP
 * segments, as for a NIC without TSO (and only then do TCP packets take the NAPI thread). UDP
 * segmentation offload is a choice (`udpSegmentationOffload`): on, a UDP GSO batch crosses
 * whole and is cut on the readers' side, as a NIC with USO cuts it in hardware; off, the
 * server's kernel cuts it. Replies from the readers (TCP ACKs, RTCP) are received inline,
 * charged to the readers, as on loopback.
 *
 * Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN), iproute2 and ethtool. remove() deletes the
 * namespace, which deletes the pair; a crash leaves `ip netns del <name>` to do.
 */
export class VethLink {
  /** The server's address as the readers see it. */
  readonly serverAddress: string;
  readonly readerAddress: string;
  /** PIDs of the readers' receive thread(s), napi/<reader device>-N, found once the link is up. */
  private receiveThreads: number[] = [];

  private constructor(readonly namespace: string, readonly serverDevice: string, readonly readerDevice: string, subnet: number) {
    this.serverAddress = `10.213.${subnet}.1`;
    this.readerAddress = `10.213.${subnet}.2`;
  }

  static create(options: { udpSegmentationOffload: boolean }): VethLink {
    const id = process.pid % 100_000;
    const link = new VethLink(`sgbench-${id}`, `sgb${id}s`, `sgb${id}r`, id % 250);
    const { namespace: ns, serverDevice: s, readerDevice: r } = link;
    try {
      run('ip', ['netns', 'add', ns]);
      run('ip', ['link', 'add', s, 'type', 'veth', 'peer', 'name', r, 'netns', ns]);
      run('ip', ['addr', 'add', `${link.serverAddress}/30`, 'dev', s]);
      run('ip', ['link', 'set', s, 'up']);
      run('ethtool', ['-K', s, 'tso', 'off', 'tx-udp-segmentation', options.udpSegmentationOffload ? 'on' : 'off']);
      // A queue in front of the link, as a NIC's transmit ring and qdisc are: when the readers'
      // end is full, the veth stops the queue and the packets wait instead of being dropped.
      run('tc', ['qdisc', 'replace', 'dev', s, 'root', 'pfifo', 'limit', String(TX_QUEUE_PACKETS)]);
      link.inside('ip', ['addr', 'add', `${link.readerAddress}/30`, 'dev', r]);
      link.inside('ip', ['link', 'set', r, 'up']);
      link.inside('ip', ['link', 'set', 'lo', 'up']);
      link.inside('ethtool', ['-K', r, 'gro', 'on', 'rx-udp-gro-forwarding', 'on']);
      // sysfs as the namespace sees it (ip netns exec mounts it for the command).
      link.inside('sh', ['-c', `echo 1 > /sys/class/net/${r}/threaded`]);
      link.receiveThreads = kernelThreads(`napi/${r}-`);
      // Without it the readers' receive path would run inside the servers' sends, as on
      // loopback, and the report would say otherwise.
      if (link.receiveThreads.length === 0) throw new Error(`no napi/${r}-N thread: threaded NAPI did not take on the readers' end`);
    } catch (e) {
      link.remove();
      throw new Error(`could not build the readers' veth link (root, iproute2 and ethtool are needed): ${e instanceof Error ? e.message : String(e)}`);
    }
    return link;
  }

  /** `cmd args` as run inside the readers' namespace (for spawn: the same process, its PID kept). */
  command(cmd: string, args: readonly string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.namespace, cmd, ...args]];
  }

  /** CPU seconds of the readers' receive thread(s) so far. */
  receiveCpuSeconds(): number {
    return this.receiveThreads.reduce((total, pid) => total + cpuSeconds(pid), 0);
  }

  remove(): void {
    try {
      run('ip', ['netns', 'del', this.namespace]);
    } catch {
      // Not created, or already gone.
    }
  }

  private inside(cmd: string, args: readonly string[]): void {
    run(...this.command(cmd, args));
  }
}

/** PIDs of the kernel threads whose name starts with `prefix` (/proc/PID/comm, at most 15 characters). */
function kernelThreads(prefix: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith(prefix.slice(0, 15))) found.push(Number(pid));
    } catch {
      // A process that ended while the list was read.
    }
  }
  return found;
}

/** Packets the server's end queues: a keyframe to 200 readers is ~30,000 packets at once. */
const TX_QUEUE_PACKETS = 100_000;

function run(cmd: string, args: readonly string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}
