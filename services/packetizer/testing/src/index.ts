/** Test-only (type:testing): RTP fixtures and feeds, FLV files from ffmpeg, decode checks, live RTP capture. Never imported by production code. */
export * from './decode-check';
export * from './flv-file';
export * from './live-rtp-capture';
export * from './rtp-feed';
export * from './rtp-fixtures';
