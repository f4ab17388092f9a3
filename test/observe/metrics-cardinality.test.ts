import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { freeTcpPort } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { startTestGateway } from '../e2e/gateway-harness';

/** Labels stay bounded: a deleted stream leaves no series behind. */
let gw: Gateway;
before(async () => {
  gw = await startTestGateway();
});
after(() => gw?.stop());

test('creating and deleting 100 streams leaves no stale series', { timeout: 90_000 }, async () => {
  const api = `http://127.0.0.1:${gw.httpPort}`;
  const deadPort = await freeTcpPort();
  const names = Array.from({ length: 100 }, (_x, i) => `card${i}`);
  const res = await fetch(`${api}/api/config/streams`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ streams: names.map((name) => ({ name, rtsp_url: `rtsp://127.0.0.1:${deadPort}/${name}`, password: 'hunter2-secret' })) }),
  });
  assert.equal(((await res.json()) as { created: number }).created, 100);
  const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
  const deadline = Date.now() + 30_000;
  let text = '';
  while (Date.now() < deadline) {
    text = await metrics();
    if (names.every((n) => text.includes(`stream="${n}"`))) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  for (const n of names) assert.ok(text.includes(`streamgate_stream_up{stream="${n}"`), `series for ${n}`);
  assert.ok(!text.includes('hunter2-secret'), 'no password in metrics');
  for (const n of names) assert.equal((await fetch(`${api}/api/streams/${n}`, { method: 'DELETE' })).status, 200);
  const until = Date.now() + 20_000;
  while (Date.now() < until && /stream="card\d+"/.test(text)) {
    await new Promise((r) => setTimeout(r, 500));
    text = await metrics();
  }
  assert.deepEqual(text.split('\n').filter((l) => /stream="card\d+"/.test(l)), []);
});
