import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TEST_PORTS_ENV, ephemeralPortRange, freeTcpPort, freeUdpPortPair } from './ports';

describe('ports', () => {
  it('freeTcpPort returns a port we can listen on', async () => {
    const port = await freeTcpPort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('freeTcpPort hands out ports below the ephemeral range, never one another test file of the run holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-ports-test-'));
    const saved = process.env[TEST_PORTS_ENV];
    process.env[TEST_PORTS_ENV] = dir;
    try {
      const count = 300;
      // Another test file of the same run, asking at the same time.
      const other = promisify(execFile)(process.execPath, ['-e',
        `const p = require(${JSON.stringify(join(__dirname, 'ports.js'))});
         (async () => { const out = []; for (let i = 0; i < ${count}; i++) out.push(await p.freeTcpPort()); console.log(JSON.stringify(out)); })();`,
      ], { env: { ...process.env } });
      const mine: number[] = [];
      for (let i = 0; i < count; i++) mine.push(await freeTcpPort());
      const theirs = JSON.parse((await other).stdout) as number[];
      const { low } = ephemeralPortRange();
      for (const port of [...mine, ...theirs]) assert.ok(port >= 10_000 && port < low, `${port} is not below the ephemeral range (${low})`);
      assert.equal(new Set([...mine, ...theirs]).size, 2 * count, 'a port was handed out twice');
    } finally {
      if (saved === undefined) delete process.env[TEST_PORTS_ENV];
      else process.env[TEST_PORTS_ENV] = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('freeUdpPortPair returns even RTP and RTP+1 RTCP, both bindable', async () => {
    const { rtp, rtcp } = await freeUdpPortPair();
    assert.equal(rtp % 2, 0);
    assert.equal(rtcp, rtp + 1);
    for (const port of [rtp, rtcp]) {
      const s = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, '127.0.0.1', resolve);
      });
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });
});
