import type { RegisterCommand } from '../types.ts';
import { registerApprove } from './approve.ts';
import { registerArtifacts } from './artifacts.ts';
import { registerCancel } from './cancel.ts';
import { registerCreate } from './create.ts';
import { registerDoctor } from './doctor.ts';
import { registerRetry } from './retry.ts';
import { registerScript } from './script.ts';
import { registerResume, registerSuspend } from './suspend.ts';

/** Commands that change the cluster or reach its services: create, approve, retry, suspend, resume, cancel, script, artifacts, doctor. */
export const writeCommands: RegisterCommand[] = [
  registerCreate,
  registerApprove,
  registerRetry,
  registerScript,
  registerSuspend,
  registerResume,
  registerCancel,
  registerArtifacts,
  registerDoctor,
];
