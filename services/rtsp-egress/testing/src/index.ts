/** Test-only (type:testing): egress under test, raw RTSP client, synthetic and fake packetizer streams. Never imported by production code. */
export * from './egress-harness';
export * from './fake-packetizer';
export * from './raw-rtsp-client';
export * from './synthetic-stream';
export * from './egress-suite';
