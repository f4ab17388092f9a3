/**
 * The pull benchmark's floor peer: one Node process that opens an RTSP session per camera with
 * RtspReader (libs/testing: DESCRIBE, SETUP, PLAY, keepalive) and only reads, counting RTP
 * packets and sequence gaps per track. No depacketizing, no bus, no egress: what a Node process
 * pays to read these cameras at all, the part of the gateway's cost no processing change removes.
 *
 *   node dist/test/bench/node-read-floor.js --transport tcp|udp URL...
 *
 * Prints `open <n> failed <m>` once every session plays, then waits; on SIGTERM it prints
 * `packets <p> lost <l>`, tears the sessions down and exits.
 */
import { parseArgs } from 'node:util';
import { RtspReader } from '@streamgate/testing';

const { values, positionals } = parseArgs({ options: { transport: { type: 'string', default: 'tcp' } }, allowPositionals: true });
const transport = values.transport === 'udp' ? 'udp' : 'tcp';

async function main(): Promise<void> {
  const readers: RtspReader[] = [];
  let failed = 0;
  // 16 sessions opening at a time (a burst of SYNs is not what is measured).
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < positionals.length) {
      const url = positionals[next++];
      try {
        readers.push(await RtspReader.open(url, { transport, timeoutMs: 10_000 }));
      } catch (e) {
        failed++;
        process.stderr.write(`${url}: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, positionals.length) }, worker));
  process.stdout.write(`open ${readers.length} failed ${failed}\n`);
  process.once('SIGTERM', () => {
    let packets = 0;
    let lost = 0;
    for (const r of readers) for (const t of r.stats().tracks) {
      packets += t.packets;
      lost += t.lost;
    }
    process.stdout.write(`packets ${packets} lost ${lost}\n`);
    void Promise.all(readers.map((r) => r.close(2000))).finally(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
