// result.json as the operator may trust it. The runner writes it to S3 and the operator takes it as
// the truth of an attempt, so it is checked like any input from outside: a bounded size, a schema
// (ajv) whose bounds keep every value storable in an Episode's status, the identity of the attempt
// the operator expects, and artifact URIs only inside that attempt's own prefix and bucket.
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { StageName } from './generated/types.ts';
import { STAGES } from './pipeline.ts';
import { stageBucket, stageKeyPrefix, type StageResult } from './stage-contract.ts';

// ajv-formats is CommonJS; its default export arrives one level deep under ESM.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** The largest result.json read; a bigger one fails its attempt. */
export const MAX_RESULT_BYTES = 1024 * 1024;
/** The longest message of a result (status messages are built from it). */
export const MAX_RESULT_MESSAGE = 2048;
/** Cost of one attempt above this is not believed (a sum of such values must stay finite). */
export const MAX_RESULT_COST_USD = 1_000_000;

/**
 * The schema of result.json. Its bounds are those of the Episode's status.stages (crds/), or
 * tighter, so that a result that passes can always be stored. Unknown fields are dropped, as the
 * API server prunes them.
 */
export const stageResultSchema = {
  type: 'object',
  required: ['stage', 'attempt', 'inputHash', 'provider', 'artifacts', 'usage', 'costUSD', 'startedAt', 'finishedAt'],
  additionalProperties: false,
  properties: {
    stage: { type: 'string', enum: [...STAGES] },
    attempt: { type: 'integer', minimum: 1 },
    inputHash: { type: 'string', minLength: 1, maxLength: 128 },
    provider: { type: 'string', minLength: 1, maxLength: 100 },
    artifacts: {
      type: 'object',
      maxProperties: 200,
      propertyNames: { type: 'string', minLength: 1, maxLength: 256 },
      additionalProperties: { type: 'string', minLength: 1, maxLength: 2048 },
    },
    usage: {
      type: 'object',
      maxProperties: 64,
      propertyNames: { type: 'string', minLength: 1, maxLength: 100 },
      additionalProperties: { type: 'number', minimum: 0, maximum: 1e15 },
    },
    costUSD: { type: 'number', minimum: 0, maximum: MAX_RESULT_COST_USD },
    startedAt: { type: 'string', format: 'date-time', maxLength: 64 },
    finishedAt: { type: 'string', format: 'date-time', maxLength: 64 },
    message: { type: 'string', maxLength: MAX_RESULT_MESSAGE },
  },
} as const;

const ajv = new Ajv({ allErrors: true, removeAdditional: true, strict: true });
addFormats(ajv, ['date-time']);
const validate = ajv.compile(stageResultSchema);

/** The attempt a result.json must belong to. */
export interface StageResultExpectation {
  namespace: string;
  episode: string;
  uid: string;
  stage: StageName;
  attempt: number;
  /** The attempt's input hash, when the caller knows it. */
  inputHash?: string;
  /** How the artifact store names an object (s3://bucket/key when absent). */
  uri?: (bucket: string, key: string) => string;
}

export interface StageResultProblem {
  error: string;
}

export function isStageResultProblem(value: StageResult | StageResultProblem): value is StageResultProblem {
  return typeof (value as StageResultProblem).error === 'string';
}

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') path.push(String((error.params as { missingProperty: string }).missingProperty));
  if (error.keyword === 'propertyNames') path.push(String((error.params as { propertyName: string }).propertyName));
  return path.join('.') || '(root)';
}

function shown(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function describe(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  const field = fieldOf(error);
  switch (error.keyword) {
    case 'required':
      return `${field}: missing`;
    case 'type':
      return `${field}: must be ${/^[aeiou]/.test(String(p.type)) ? 'an' : 'a'} ${String(p.type)}`;
    case 'enum':
      return `${field}: must be one of ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'minimum':
    case 'maximum':
      return `${field}: must be ${String(p.comparison)} ${String(p.limit)}`;
    case 'minLength':
      return `${field}: must not be empty`;
    case 'maxLength':
      return `${field}: longer than ${String(p.limit)} characters`;
    case 'maxProperties':
      return `${field}: more than ${String(p.limit)} entries`;
    case 'format':
      return `${field}: must be a ${String(p.format)}`;
    case 'propertyNames':
      return `${field}: not an acceptable name`;
    default:
      return `${field}: ${error.message ?? error.keyword}`;
  }
}

/** Why an artifact URI is not a plain object under `prefix`; undefined when it is. */
function outsidePrefix(uri: string, prefix: string): string | undefined {
  if (!uri.startsWith(prefix)) return `lies outside the attempt's own prefix ${prefix}`;
  const rest = uri.slice(prefix.length);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\?#]/.test(rest)) return 'holds characters an object name may not hold here';
  for (const segment of rest.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return 'holds a malformed escape';
    }
    if (segment === '' || decoded === '.' || decoded === '..' || decoded.includes('/')) return `escapes the attempt's own prefix ${prefix}`;
  }
  return undefined;
}

/**
 * Checks a parsed result.json against its schema and the attempt it must belong to. Returns the
 * result (unknown fields dropped), or the problem in one line, e.g. `result.json of voice attempt
 * 2 is invalid: costUSD: must be >= 0`.
 */
export function checkStageResult(raw: unknown, expected: StageResultExpectation): StageResult | StageResultProblem {
  const what = `result.json of ${expected.stage} attempt ${expected.attempt}`;
  const invalid = (problems: string[]): StageResultProblem => {
    const shownProblems = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
    return { error: `${what} is invalid: ${shownProblems}` };
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return invalid(['not a JSON object']);
  const result = structuredClone(raw) as StageResult;
  if (!validate(result)) return invalid([...new Set(validate.errors!.map(describe))]);

  const problems: string[] = [];
  if (result.stage !== expected.stage) problems.push(`stage: is ${result.stage}, not ${expected.stage}`);
  if (result.attempt !== expected.attempt) problems.push(`attempt: is ${result.attempt}, not ${expected.attempt}`);
  if (expected.inputHash !== undefined && result.inputHash !== expected.inputHash)
    problems.push(`inputHash: is ${shown(result.inputHash)}, not the attempt's ${expected.inputHash}`);
  if (Date.parse(result.finishedAt) < Date.parse(result.startedAt)) problems.push('finishedAt: before startedAt');
  const uri = expected.uri ?? ((bucket: string, key: string) => `s3://${bucket}/${key}`);
  const prefix = uri(stageBucket(expected.stage), stageKeyPrefix(expected));
  for (const [name, location] of Object.entries(result.artifacts)) {
    const why = outsidePrefix(location, prefix);
    if (why) problems.push(`artifacts.${shown(name, 80)}: ${shown(location, 600)} ${why}`);
  }
  return problems.length ? invalid(problems) : result;
}

/**
 * Checks result.json as read (at most MAX_RESULT_BYTES + 1 bytes of it, so that a bigger file is
 * recognised without reading it whole): its size, that it is JSON, then checkStageResult.
 */
export function parseStageResult(bytes: Uint8Array, expected: StageResultExpectation): StageResult | StageResultProblem {
  const what = `result.json of ${expected.stage} attempt ${expected.attempt}`;
  if (bytes.byteLength > MAX_RESULT_BYTES) return { error: `${what} is invalid: larger than ${MAX_RESULT_BYTES} bytes` };
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return { error: `${what} is invalid: not JSON (${(error as Error).message.slice(0, 200)})` };
  }
  return checkStageResult(raw, expected);
}
