/** Nest injection token for the platform ServiceContext (bus, store, config, logger). */
export const SERVICE_CONTEXT = Symbol('SERVICE_CONTEXT');
