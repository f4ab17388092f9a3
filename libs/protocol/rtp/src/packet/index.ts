export * from './rtp-packet';
