// @acog/operator: the controller, started by operator/src/main.ts (the image) and by the tests and
// benchmarks, and the runner configuration the chart renders.
export { startOperator, type LeaderElectionSettings, type Operator, type OperatorOptions } from './operator.ts';
export { checkRunnerConfig, loadRunnerConfig, type RunnerConfig, type StageSettings } from './config/runner-config.ts';
export { DEFAULT_STAGE_SLOTS } from './episode/admission.ts';
