/** Test-only (type:testing): RTSP request heads captured from real clients (VECTOR_SOURCE.md). Never imported by production code. */
export * from './captured-requests';
