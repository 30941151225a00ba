import type { RegisterCommand } from '../types.ts';
import { registerCompletion } from './completion.ts';
import { registerDescribe } from './describe.ts';
import { registerGet } from './get.ts';
import { registerHistory } from './history.ts';
import { registerLogs } from './logs.ts';
import { registerWatch } from './watch.ts';

/** Commands that read the cluster: get, describe, watch, logs, history, spend; and shell completion. */
export const readCommands: RegisterCommand[] = [
  registerGet,
  registerDescribe,
  registerWatch,
  registerLogs,
  registerHistory,
  registerCompletion,
];
