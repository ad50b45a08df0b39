/** Structured JSON logs (one line per event) through pino, with known secret fields redacted. */
import pino from 'pino';
import type { Logger } from '../../ports/logger';

const REDACT_PATHS = [
  '*.authorization',
  '*.key',
  '*.secret',
  '*.password',
  '*.token',
  '*.routingKey',
  '*.webhookUrl',
  'headers.authorization',
  'headers.cookie',
];

class PinoLogger implements Logger {
  constructor(private readonly base: pino.Logger) {}

  debug(fields: Record<string, unknown>, message: string): void {
    this.base.debug(fields, message);
  }

  info(fields: Record<string, unknown>, message: string): void {
    this.base.info(fields, message);
  }

  warn(fields: Record<string, unknown>, message: string): void {
    this.base.warn(fields, message);
  }

  error(fields: Record<string, unknown>, message: string): void {
    this.base.error(fields, message);
  }

  child(fields: Record<string, unknown>): Logger {
    return new PinoLogger(this.base.child(fields));
  }
}

export interface PinoLoggerOptions {
  readonly level: string;
  readonly fields?: Record<string, unknown>;
  /** Where lines go; standard output by default. */
  readonly destination?: pino.DestinationStream;
}

export function createPinoLogger(options: PinoLoggerOptions): Logger {
  const base = pino(
    { level: options.level, base: options.fields ?? {}, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    options.destination,
  );
  return new PinoLogger(base);
}
