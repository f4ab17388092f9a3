export * from './rtsp-reader';
export * from './rtsp-stream-parser';
export * from './rtp-counter';
export * from './sdp-tracks';
