export * from './registry-journal';
export * from './jetstream-registry-journal';
export * from './journaled-store';
export * from './registry-keeper';
export * from './open-registry-journal';
