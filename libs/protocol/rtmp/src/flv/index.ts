export * from './flv-error';
export * from './video-tag';
export * from './audio-tag';
export * from './avc-decoder-configuration-record';
export * from './avcc-nalus';
export * from './audio-specific-config';
export * from './script-tag';
