/**
 * The media model every service shares: typed formats per codec (read once from SDP or FLV
 * sequence headers, written into the SDP readers get), what differs per video codec, access
 * units and the GOP cache. Pure.
 */
export * from './format/format';
export * from './format/sdp-format';
export * from './video-codec';
export * from './access-unit';
export * from './gop-cache';
export * from './flv/flv-format';
export * from './flv/flv-clock';
export * from './flv/flv-reader';
