export * from './cseq';
export * from './session';
export * from './transport';
export * from './range';
export * from './rtp-info';
export * from './authenticate';
export * from './authorization';
export * from './digest';
export { MAX_HEADER_VALUE_LENGTH } from './header-params';
