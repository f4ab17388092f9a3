import pino, { Logger } from 'pino';
import { trace } from '@opentelemetry/api';

export type { Logger } from 'pino';

/** Field paths that may carry secrets; pino replaces them before anything is written. */
export const REDACTED_PATHS = [
  'password', '*.password', 'username', '*.username', 'authorization', '*.authorization',
  'headers.authorization', 'apiKey', '*.apiKey', 'api_key', '*.api_key',
];

/** Removes the userinfo part of URLs in free text: rtsp://user:pass@host → rtsp://***@host. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@');
}

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where to write; defaults to stdout. */
  destination?: pino.DestinationStream;
}

/** Each service logger's root: the same logger without the `service` binding. */
const roots = new WeakMap<Logger, Logger>();

function withService(root: Logger, service: string): Logger {
  const logger = root.child({ service });
  roots.set(logger, root);
  return logger;
}

/**
 * A logger whose lines carry `"service": <service>` once. pino writes a child's bindings after
 * its parent's, so `logger.child({ service })` on a service logger would print the field twice;
 * this rebinds from the root instead (the all-in-one names each composed service this way).
 */
export function serviceLogger(logger: Logger, service: string): Logger {
  const root = roots.get(logger);
  return root ? withService(root, service) : logger.child({ service });
}

export function createLogger(options: LoggerOptions): Logger {
  const root = pino(
    {
      level: options.level ?? 'info',
      base: {},
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Lines written inside a span carry its trace id, so logs and traces join up.
      mixin() {
        const span = trace.getActiveSpan();
        return span ? { trace_id: span.spanContext().traceId } : {};
      },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((a) => (typeof a === 'string' ? redactUrlCredentials(a) : a)) as Parameters<typeof method>;
          return method.apply(this, redacted);
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
  return withService(root, options.service);
}
