// The gateway logs as the operator does (one format): request logs carry the user and route,
// never a token or a header.
import type { LevelWithSilent } from 'pino';
import { createLogger as createAcogLogger, type Logger } from '@acog/kube';

export type { Logger };

export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  return createAcogLogger(level, destination, 'acog-console');
}
