export * from './rtp-packet';
export * from './framed-rtp';
export * from './rtp-fields';
export * from './buffer-slab';
