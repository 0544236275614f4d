/** pino, with every line passed through the redactor before it is written. */
import { pino, type Logger } from 'pino';
import type { Redactor } from './redact.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  redactor: Redactor;
  /** Where lines go; standard output by default. */
  destination?: NodeJS.WritableStream;
  name?: string;
  /** File descriptor for pretty output: 1 (default) or 2, to keep standard output for results. */
  fd?: 1 | 2;
}

export function createLogger(options: LoggerOptions): Logger {
  const hooks = { streamWrite: (line: string) => options.redactor.redact(line) };
  const base = { level: options.level, name: options.name ?? 'switchyard', hooks };
  if (options.format === 'pretty' && !options.destination) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l', destination: options.fd ?? 1 },
      },
    });
  }
  return pino(base, (options.destination ?? process.stdout) as pino.DestinationStream);
}
