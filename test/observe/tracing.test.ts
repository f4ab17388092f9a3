import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RealServer, startNatsServer, startRedisServer } from '@streamgate/platform/testing';
import { freeTcpPort, killAll, waitFor } from '@streamgate/testing';
import { ServiceProcess, startService } from '../distributed/cluster';

/**
 * Issue "Observe and deploy": the spans of one API call reach an in-test OTLP receiver with
 * one trace id across control-api and ingest (context carried in NATS headers).
 */
interface ExportedSpan { service: string; traceId: string; name: string; parentSpanId?: string }

let receiver: Server;
const spans: ExportedSpan[] = [];
let nats: RealServer;
let redis: RealServer;
const services: ServiceProcess[] = [];
let apiPort = 0;

before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && (req.headers['content-type'] ?? '').includes('json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { traceId: string; name: string; parentSpanId?: string }[] }[] }[];
        };
        for (const rs of body.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ service, traceId: s.traceId, name: s.name, parentSpanId: s.parentSpanId });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  nats = await startNatsServer();
  redis = await startRedisServer();
  apiPort = await freeTcpPort();
  const env = {
    NATS_URL: nats.url, REDIS_URL: redis.url, PORT: String(apiPort), RTMP_PORT: String(await freeTcpPort()),
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  services.push(await startService('ingest', env), await startService('control-api', env));
});

after(async () => {
  for (const s of services) await s.stop();
  await killAll();
  await nats?.stop();
  await redis?.stop();
  await new Promise<void>((r) => receiver.close(() => r()));
});

test('one API call → one trace across control-api and ingest', { timeout: 60_000 }, async () => {
  const res = await fetch(`http://127.0.0.1:${apiPort}/stop`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stream_key: 'traced1' }),
  });
  assert.equal(res.status, 404, 'nobody publishes traced1; ingest answered the kick');
  const trace = await waitFor(() => {
    const api = spans.find((s) => s.service === 'control-api' && s.name === 'POST /stop');
    if (!api) return undefined;
    const inIngest = spans.find((s) => s.service === 'ingest' && s.traceId === api.traceId);
    return inIngest ? api.traceId : undefined;
  }, 20_000, 'spans from both services', 200);
  const names = spans.filter((s) => s.traceId === trace).map((s) => `${s.service}:${s.name}`).sort();
  assert.deepEqual(names, ['control-api:POST /stop', 'control-api:bus.request ingest.rtmp.kick', 'ingest:bus.handle ingest.rtmp.kick']);
  assert.equal(spans.filter((s) => s.traceId === trace && !s.parentSpanId).length, 1, 'one root: the API request');
});
