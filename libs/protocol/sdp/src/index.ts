export * from './errors';
export * from './session-description';
export * from './media-attributes';
export * from './static-payload-types';
