// JSON logs (pino) on stdout. Children carry namespace, episode, stage and attempt, so that a log
// search for one episode finds every line about it. Secrets never reach a log: nothing logs env.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export { LOG_LEVELS } from './levels.ts';

export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { component: 'acog-operator' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
