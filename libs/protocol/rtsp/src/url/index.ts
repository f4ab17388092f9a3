export * from './rtsp-url';
