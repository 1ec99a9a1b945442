import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/**
 * Structured JSON logs, one line per event. Secrets never reach the log: the paths below
 * are redacted wherever they appear.
 */
export function createLogger(
  level: string,
  destination?: DestinationStream,
  options: LoggerOptions = {},
): Logger {
  const settings: LoggerOptions = {
    level,
    base: { service: 'ioc' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'secret',
        '*.secret',
        'req.headers.authorization',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
    ...options,
  };
  return destination ? pino(settings, destination) : pino(settings);
}
