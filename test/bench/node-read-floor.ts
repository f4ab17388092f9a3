/**
 * The pull benchmark's floor peer: one Node process that opens an RTSP session per camera with
 * RtspReader (libs/testing: DESCRIBE, SETUP, PLAY, keepalive) and only reads, counting RTP
 * packets and sequence gaps per track. No depacketizing, no bus, no egress: what a Node process
 * pays to read these cameras at all, the part of the gateway's cost no processing change removes.
 *
 *   node dist/test/bench/node-read-floor.js --transport tcp|udp URL...
 *
 * Prints `open <n> failed <m>` once every session plays, then every second
 * `stats playing <p> packets <n> lost <l>` (sessions the server has not closed; RTP packets and
 * sequence gaps so far, all sessions); on SIGTERM it tears the sessions down and exits.
 */
import { parseArgs } from 'node:util';
import { ReaderFleet } from './reader-fleet';

const { values, positionals } = parseArgs({ options: { transport: { type: 'string', default: 'tcp' } }, allowPositionals: true });
const transport = values.transport === 'udp' ? 'udp' : 'tcp';

async function main(): Promise<void> {
  const fleet = await ReaderFleet.openEach(positionals, transport);
  for (const f of fleet.failures) process.stderr.write(`${f}\n`);
  process.stdout.write(`open ${fleet.readers.length} failed ${fleet.failures.length}\n`);
  const report = (): void => {
    let packets = 0;
    let lost = 0;
    let playing = 0;
    for (const s of fleet.snapshot()) {
      if (!s.closedByServer) playing++;
      for (const t of s.tracks) {
        packets += t.packets;
        lost += t.lost;
      }
    }
    process.stdout.write(`stats playing ${playing} packets ${packets} lost ${lost}\n`);
  };
  const timer = setInterval(report, 1000);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    void fleet.close().finally(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
