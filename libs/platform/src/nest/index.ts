export * from './bus-context';
export * from './bus-transport';
export * from './bus-client';
export * from './bus-microservice';
