/** Test-only (type:testing): ingest under test, raw RTMP client, scripted RTSP camera. Never imported by production code. */
export * from './ingest-harness';
export * from './raw-rtmp-client';
export * from './scripted-camera';
