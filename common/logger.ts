import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Paths that may carry secrets anywhere in a log record; pino replaces them. */
export const REDACTED_PATHS = [
  'secret',
  'token',
  'password',
  'authorization',
  '*.secret',
  '*.token',
  '*.password',
  '*.apiKey',
  '*.botToken',
  'req.headers.authorization',
  'req.headers["x-telegram-bot-api-secret-token"]',
  'headers.authorization',
  'headers["x-telegram-bot-api-secret-token"]',
];

/**
 * The one root logger of a process. Components take `logger.child({ component })`
 * and tenant work adds `tenantId`, so every line of tenant work can be filtered.
 */
export function createRootLogger(
  options: { level: string; name: string },
  destination?: pino.DestinationStream,
): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  return destination ? pino(config, destination) : pino(config);
}
