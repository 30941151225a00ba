export type * from './generated/types.ts';
export * from './resources.ts';
export * from './pipeline.ts';
export { validateChannel, validateEpisode, assertValid, ValidationError, RULES_NOT_CHECKED } from './validation.ts';
export type { FieldError, ValidationResult, ResourceValidator } from './validation.ts';
export * from './stage-contract.ts';
export * from './stage-inputs.ts';
export * from './credentials.ts';
export * from './streams.ts';
export {
  HEYGEN_EVENT_ID_HEADER,
  HEYGEN_SIGNATURE_HEADER,
  HEYGEN_TIMESTAMP_HEADER,
  HEYGEN_TIMESTAMP_TOLERANCE_MS,
  HEYGEN_WEBHOOK_EVENTS,
  judgeHeyGenWakeUp,
  PULSE_SIGNATURE_HEADER,
  PULSE_TIMESTAMP_HEADER,
  PULSE_TIMESTAMP_TOLERANCE_SECONDS,
  signPulseBody,
  verifyHeyGenSignature,
  verifyPulseSignature,
  type HeyGenWakeUp,
  type HeyGenWakeUpKind,
  type PulseSignatureVerdict,
} from './webhooks.ts';
export * from './actions.ts';
export { overrideProblems } from './overrides.ts';
export * from './stage-result.ts';
export { artifactScopeDecision, type ArtifactScope, type ArtifactUse, type ScopeDecision } from './artifact-scope.ts';
export { labelValue } from './label-value.ts';
export * from './schedule.ts';
export * from './languages.ts';
export * from './prices.ts';
export * from './estimates.ts';
export * from './budget-month.ts';
export * from './own-script.ts';
export * from './own-media.ts';
export * from './pulse.ts';
