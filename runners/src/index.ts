// @acog/runners: the stage code the cluster's runner Jobs and `kubectl acog render` both run.
// The ffmpeg layer is its own entry point, `@acog/runners/media`, which loads no provider SDK.
export { PipelineFailure, runPipeline, type PipelineOptions, type PipelineResult, type StageProgress } from './pipeline/run-pipeline.ts';
export {
  checkStageInput,
  runStage,
  StageFailure,
  type StageContext,
  type StageImplementation,
  type StageOutput,
  type StageRuntime,
} from './contract/run-stage.ts';
export { INPUT_WAIT, readStageInput, type ReadInputOptions } from './contract/read-input.ts';
export { STAGE_IMPLEMENTATIONS } from './stages/stages.ts';
export type * from './contract/documents.ts';
export type { EventPublisher } from './events/types.ts';
export { NatsEventPublisher } from './events/nats.ts';
