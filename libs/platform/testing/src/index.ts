/** Test-only (type:testing): the bus and store contract suites every driver passes, and real NATS and Redis servers to run them against. Never imported by production code. */
export * from './real-servers';
export * from './bus-contract';
export * from './store-contract';
