export type * from './generated/types.ts';
export * from './resources.ts';
export * from './pipeline.ts';
export { validateChannel, validateEpisode, assertValid, ValidationError } from './validation.ts';
export type { FieldError, ValidationResult, ResourceValidator } from './validation.ts';
export * from './stage-contract.ts';
export * from './stage-inputs.ts';
export * from './credentials.ts';
