// JSON logs (pino) on stdout, one format for the operator and the console's gateway. The
// operator's children carry namespace, episode, stage and attempt, so that a log search for one
// episode finds every line about it. Secrets never reach a log: nothing logs env, and the paths
// that could hold a credential are redacted.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };
export { LOG_LEVELS } from './levels.ts';

export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream, component = 'acog-operator'): Logger {
  return pino(
    {
      level,
      base: { component },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['token', '*.token', 'headers.authorization', 'headers.cookie'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
