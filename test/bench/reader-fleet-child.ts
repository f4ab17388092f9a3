/**
 * A ReaderFleet in a process of its own, driven over stdin/stdout one JSON line at a time
 * (ChildReaderFleet is the other end): how the fan-out benchmark puts its readers in another
 * network namespace (veth-link.ts).
 *
 *   → {"url": "...", "count": 200, "transport": "udp", "concurrency": 16, "credentials": {...}}
 *   ← {"opened": 200, "failures": []}
 *   → "snapshot"   ← {"stats": [RtspReaderStats, ...]}
 *   → "close"      ← {"closed": true}, then the process exits
 */
import { createInterface } from 'node:readline';
import { FleetRequest, ReaderFleet } from './reader-fleet';

let fleet: ReaderFleet | undefined;
const reply = (message: unknown): void => void process.stdout.write(`${JSON.stringify(message)}\n`);

async function handle(line: string): Promise<void> {
  const command: unknown = JSON.parse(line);
  if (command === 'snapshot') return reply({ stats: fleet?.snapshot() ?? [] });
  if (command === 'close') {
    await fleet?.close();
    reply({ closed: true });
    process.exit(0);
  }
  const { url, count, transport, concurrency, credentials } = command as FleetRequest;
  fleet = await ReaderFleet.open(url, count, transport, concurrency, credentials);
  reply({ opened: fleet.readers.length, failures: fleet.failures });
}

// One command at a time, in order: the parent waits for each answer.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(() => handle(line)).catch((e: unknown) => reply({ error: e instanceof Error ? e.message : String(e) }));
});
// The parent gone (its end of stdin closed): nothing is left to read for.
process.stdin.on('end', () => process.exit(0));
