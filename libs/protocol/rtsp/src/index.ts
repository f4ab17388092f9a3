export * from './base';
export * from './headers';
export * from './url';
export * from './client';
export * from './server';
