/**
 * Nest injection token for the control plane's client: a `BusClientProxy` (@streamgate/platform/nest)
 * over the process's bus, through which the API sends its requests to the other services
 * (latest frame to the packetizer, RTMP kick to ingest) as Nest message patterns, the same
 * patterns the packetizer's and ingest's `@MessagePattern` handlers answer, in-process or over NATS.
 */
export const CONTROL_CLIENT = Symbol('CONTROL_CLIENT');

/** How long a control request waits for its reply. */
export const CONTROL_REQUEST_TIMEOUT_MS = 2000;
