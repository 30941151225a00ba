// How runner Jobs are made: image, resources per stage, scheduling, the settings every runner
// gets. A YAML file (a ConfigMap in the chart), validated with a schema so that a bad value names
// its field before the operator starts.
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { STAGES, type StageName } from '@acog/api';

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface StageSettings {
  resources?: ResourceRequirements;
  activeDeadlineSeconds?: number;
}

export interface RunnerConfig {
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets?: string[];
  serviceAccountName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Record<string, unknown>[];
  runtimeClassName?: string;
  priorityClassName?: string;
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished: number;
  /** Plain settings for every runner: ACOG_S3_ENDPOINT, AWS_REGION, ACOG_NATS_URL, provider base URLs. */
  env: Record<string, string>;
  /** A Secret in each episode namespace with the runners' S3 keys; absent: ambient credentials. */
  storageCredentials?: { secretName: string; accessKeyIdKey: string; secretAccessKeyKey: string };
  /** A Secret in each episode namespace with that namespace's NATS user; absent: NATS without authentication. */
  natsCredentials?: { secretName: string; userKey: string; passwordKey: string };
  defaults: StageSettings;
  stages: Partial<Record<StageName, StageSettings>>;
}

const quantity = { type: ['string', 'number'], pattern: '^[0-9.]+[a-zA-Z]*$' };
const resources = {
  type: 'object',
  additionalProperties: false,
  properties: {
    requests: { type: 'object', additionalProperties: quantity },
    limits: { type: 'object', additionalProperties: quantity },
  },
};
const stageSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { resources, activeDeadlineSeconds: { type: 'integer', minimum: 1 } },
};
const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['image'],
  properties: {
    image: { type: 'string', minLength: 1 },
    imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
    imagePullSecrets: { type: 'array', items: { type: 'string', minLength: 1 } },
    serviceAccountName: { type: 'string', minLength: 1 },
    nodeSelector: { type: 'object', additionalProperties: { type: 'string' } },
    tolerations: { type: 'array', items: { type: 'object' } },
    runtimeClassName: { type: 'string', minLength: 1 },
    priorityClassName: { type: 'string', minLength: 1 },
    activeDeadlineSeconds: { type: 'integer', minimum: 1, default: 3600 },
    ttlSecondsAfterFinished: { type: 'integer', minimum: 0, default: 86400 },
    env: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
    storageCredentials: {
      type: 'object',
      additionalProperties: false,
      required: ['secretName'],
      properties: {
        secretName: { type: 'string', minLength: 1 },
        accessKeyIdKey: { type: 'string', minLength: 1, default: 'AWS_ACCESS_KEY_ID' },
        secretAccessKeyKey: { type: 'string', minLength: 1, default: 'AWS_SECRET_ACCESS_KEY' },
      },
    },
    natsCredentials: {
      type: 'object',
      additionalProperties: false,
      required: ['secretName'],
      properties: {
        secretName: { type: 'string', minLength: 1 },
        userKey: { type: 'string', minLength: 1, default: 'ACOG_NATS_USER' },
        passwordKey: { type: 'string', minLength: 1, default: 'ACOG_NATS_PASSWORD' },
      },
    },
    defaults: { ...stageSettingsSchema, default: {} },
    stages: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(STAGES.map((stage) => [stage, stageSettingsSchema])),
      default: {},
    },
  },
};

const validate = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile<RunnerConfig>(SCHEMA);

function describe(error: ErrorObject): string {
  const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
  if (error.keyword === 'additionalProperties')
    return `${field === '(top level)' ? '' : `${field}.`}${(error.params as { additionalProperty: string }).additionalProperty}: unknown field`;
  if (error.keyword === 'enum')
    return `${field}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return `${field}: ${error.message}`;
}

/** Checks a parsed runner configuration, applying defaults; throws with every bad field named. */
export function checkRunnerConfig(raw: unknown, source = 'runner configuration'): RunnerConfig {
  const config = structuredClone(raw ?? {});
  if (!validate(config)) throw new Error(`${source} is invalid: ${validate.errors!.map(describe).join('; ')}`);
  const reserved = Object.keys(config.env).filter((name) =>
    ['ACOG_STAGE_INPUT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'ACOG_NATS_USER', 'ACOG_NATS_PASSWORD'].includes(name),
  );
  if (reserved.length)
    throw new Error(
      `${source} is invalid: env.${reserved[0]}: set by the operator (credentials come from storageCredentials and natsCredentials)`,
    );
  return config;
}

export async function loadRunnerConfig(path: string): Promise<RunnerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the runner configuration ${path}: ${(error as Error).message}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new Error(`the runner configuration ${path} is not YAML: ${(error as Error).message}`, { cause: error });
  }
  return checkRunnerConfig(raw, `the runner configuration ${path}`);
}

/** A stage's settings: its own over the defaults. */
export function stageSettings(config: RunnerConfig, stage: StageName): Required<StageSettings> {
  const own = config.stages[stage] ?? {};
  return {
    resources: own.resources ?? config.defaults.resources ?? {},
    activeDeadlineSeconds: own.activeDeadlineSeconds ?? config.defaults.activeDeadlineSeconds ?? config.activeDeadlineSeconds,
  };
}
