import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'palisade' } });
}

export const silentLogger: Logger = pino({ level: 'silent' });
