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

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
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
}
