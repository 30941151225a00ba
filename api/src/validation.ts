// Client-side validation that matches the API server's: the same openAPIV3Schemas (generated
// from api/schema), checked by ajv, then the same CEL rules (x-kubernetes-validations).
// Messages name the field the way the API server does: "spec.format.aspectRatio: ...".
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { Environment } from '@marcbachmann/cel-js';
import { channelSchema, episodeSchema } from './generated/schemas.ts';
import type { Channel, Episode } from './generated/types.ts';
import { API_VERSION } from './resources.ts';

// ajv-formats is CommonJS; its default export arrives one level deep under ESM.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export interface FieldError {
  /** Dotted path as the API server prints it, e.g. spec.providers.llm.secretRef. */
  field: string;
  message: string;
}

export class ValidationError extends Error {
  readonly errors: FieldError[];
  constructor(kind: string, name: string | undefined, errors: FieldError[]) {
    super(`${kind} ${name ? `"${name}" ` : ''}is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
    this.name = 'ValidationError';
    this.errors = errors;
  }
}

export interface ValidationResult<T> {
  valid: boolean;
  errors: FieldError[];
  /** The object with the schema's defaults applied, as the API server would store it. */
  value: T;
  /** Set when schema errors kept the CEL rules from running (RULES_NOT_CHECKED): fixing them may show more. */
  rulesNotChecked?: string;
}

type Schema = { [key: string]: unknown };

const KUBERNETES_KEYWORDS = [
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
];

/** The API server refuses unknown fields under strict field validation, and duplicates in a set; so do we. */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (typeof node !== 'object' || node === null) return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = key === 'x-kubernetes-validations' || key === 'enum' ? value : closeObjects(value);
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  if (out.type === 'array' && out['x-kubernetes-list-type'] === 'set') out.uniqueItems = true;
  return out;
}

function fieldOf(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

const COMPARISONS: Record<string, string> = {
  '>=': 'greater than or equal to',
  '<=': 'less than or equal to',
  '>': 'greater than',
  '<': 'less than',
};

/** A JSON value as the API server prints it in a message: its type name for objects and arrays. */
function shown(value: unknown): string {
  if (Array.isArray(value)) return '"array"';
  if (value !== null && typeof value === 'object') return '"object"';
  return JSON.stringify(value);
}

/** The type name the API server reports for a value of the wrong type. */
function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

// Messages in the API server's wording (kube-openapi's validation errors), so that the plugin's
// client-side check and the server say the same thing.
function describeAjvError(error: ErrorObject): FieldError {
  const field = fieldOf(error.instancePath);
  const p = error.params as Record<string, unknown>;
  const inBody = `${field} in body`;
  switch (error.keyword) {
    case 'required':
      return { field: join(field, String(p.missingProperty)), message: 'Required value' };
    case 'additionalProperties': {
      const unknown = join(field, String(p.additionalProperty));
      return { field: unknown, message: `unknown field "${unknown}"` };
    }
    case 'enum':
      return {
        field,
        message: `Unsupported value: ${JSON.stringify(error.data)}: supported values: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'type': {
      const actual = jsonType(error.data);
      return { field, message: `Invalid value: "${actual}": ${inBody} must be of type ${String(p.type)}: "${actual}"` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return {
        field,
        message: `Invalid value: ${shown(error.data)}: ${inBody} should be ${COMPARISONS[String(p.comparison)]} ${String(p.limit)}`,
      };
    case 'minLength':
      return { field, message: `Invalid value: ${shown(error.data)}: ${inBody} should be at least ${String(p.limit)} chars long` };
    case 'maxLength':
      return { field, message: `Too long: may not be more than ${String(p.limit)} bytes` };
    case 'maxItems':
      return { field, message: `Too many: ${(error.data as unknown[]).length}: must have at most ${String(p.limit)} items` };
    case 'pattern':
      return { field, message: `Invalid value: ${shown(error.data)}: ${inBody} should match '${String(p.pattern)}'` };
    case 'format':
      return { field, message: `Invalid value: ${shown(error.data)}: ${inBody} must be of type ${String(p.format)}: ${shown(error.data)}` };
    case 'uniqueItems': {
      // The API server names the later of the two equal items.
      const later = Math.max(Number(p.i), Number(p.j));
      return { field: `${field}[${later}]`, message: `Duplicate value: ${JSON.stringify((error.data as unknown[])[later])}` };
    }
    default:
      return { field, message: error.message ?? error.keyword };
  }
}

/** What the API server adds when it ran no CEL rule, word for word. */
export const RULES_NOT_CHECKED =
  'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

/** Schema failures after which the API server runs no CEL rule (its field.ErrorTypes Required, NotSupported, TypeInvalid). */
const BLOCKING_KEYWORDS = new Set(['required', 'enum', 'type', 'format', 'additionalProperties']);

interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
}

// The CEL of Kubernetes has the strings extension library; cel-js lacks its replace, which the schema uses.
const cel = new Environment({ unlistedVariablesAreDyn: true });
cel.registerFunction('string.replace(string, string): string', (text: string, from: string, to: string) => text.replaceAll(from, to));

type CompiledRule = CelRule & { evaluate: (context: Record<string, unknown>) => unknown; usesOldSelf: boolean };
const compiledRules = new WeakMap<object, CompiledRule[]>();

function rulesOf(schema: Schema): CompiledRule[] {
  const cached = compiledRules.get(schema);
  if (cached) return cached;
  const rules = ((schema['x-kubernetes-validations'] as CelRule[] | undefined) ?? []).map((rule) => ({
    ...rule,
    evaluate: cel.parse(rule.rule) as unknown as (context: Record<string, unknown>) => unknown,
    usesOldSelf: /\boldSelf\b/.test(rule.rule),
  }));
  compiledRules.set(schema, rules);
  return rules;
}

/** CEL distinguishes int from double: integers of the schema become BigInt, as the API server sees them. */
function toCelValue(value: unknown, schema: Schema | undefined): unknown {
  if (value === null || value === undefined || !schema) return value;
  if (schema.type === 'integer' && typeof value === 'number') return BigInt(value);
  if (schema.type === 'number' && typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map((item) => toCelValue(item, schema.items as Schema | undefined));
  if (typeof value === 'object') {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    const extra = typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as Schema) : undefined;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCelValue(v, props[k] ?? extra)]));
  }
  return value;
}

function celErrors(value: unknown, oldValue: unknown, schema: Schema, path: string, errors: FieldError[]): void {
  if (value === undefined || value === null) return;
  for (const rule of rulesOf(schema)) {
    if (rule.usesOldSelf && (oldValue === undefined || oldValue === null)) continue;
    let ok: unknown;
    try {
      ok = rule.evaluate({ self: toCelValue(value, schema), oldSelf: toCelValue(oldValue, schema) });
    } catch (cause) {
      // A rule this validator cannot run is a defect here; one whose evaluation fails on this value
      // (e.g. getHours of an unknown time zone) refuses the value, as the API server does.
      if (/no matching overload|unknown function/i.test((cause as Error).message))
        throw new Error(`CEL rule ${JSON.stringify(rule.rule)} at ${path || '<root>'} failed to evaluate`, { cause });
      ok = false;
    }
    if (ok !== true) {
      const field = rule.fieldPath ? path + rule.fieldPath : path;
      const message = rule.message ?? `failed rule: ${rule.rule}`;
      // The API server shows a scalar value before the message, nothing for objects and lists.
      const scalar = value !== null && typeof value !== 'object' && !rule.fieldPath ? `${JSON.stringify(value)}: ` : '';
      errors.push({
        field,
        message: rule.reason === 'FieldValueRequired' ? `Required value: ${message}` : `Invalid value: ${scalar}${message}`,
      });
    }
  }
  const props = schema.properties as Record<string, Schema> | undefined;
  if (props && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const old = (oldValue ?? {}) as Record<string, unknown>;
    for (const [key, child] of Object.entries(props)) celErrors(record[key], old[key], child, join(path, key), errors);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => celErrors(item, undefined, schema.items as Schema, `${path}[${i}]`, errors));
  }
}

export interface ResourceValidator<T> {
  (object: unknown, old?: unknown): ValidationResult<T>;
}

function makeValidator<T>(kind: string, schema: Schema): ResourceValidator<T> {
  let compiled: ValidateFunction | undefined;
  return (object: unknown, old?: unknown): ValidationResult<T> => {
    if (!compiled) {
      const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictRequired: false, verbose: true });
      addFormats(ajv, ['date-time', 'int64', 'int32']);
      for (const keyword of KUBERNETES_KEYWORDS) ajv.addKeyword({ keyword });
      compiled = ajv.compile(closeObjects(schema) as Schema);
    }
    const value = structuredClone(object) as T;
    const errors: FieldError[] = [];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push({ field: '', message: `a ${kind} must be an object` });
      return { valid: false, errors, value };
    }
    const { apiVersion, kind: actualKind } = value as { apiVersion?: unknown; kind?: unknown };
    if (apiVersion !== API_VERSION) {
      errors.push({ field: 'apiVersion', message: `Unsupported value: ${JSON.stringify(apiVersion)}: supported values: "${API_VERSION}"` });
    }
    if (actualKind !== kind)
      errors.push({ field: 'kind', message: `Unsupported value: ${JSON.stringify(actualKind)}: supported values: "${kind}"` });
    const schemaErrors = compiled(value) ? [] : (compiled.errors ?? []);
    errors.push(...schemaErrors.map(describeAjvError));
    // As the API server does: the CEL rules run beside the schema's errors, unless one of those is a
    // missing field, an unsupported value or a wrong type (CEL assumes the types the schema
    // promises); then none runs, and the answer says so.
    const blocking = errors.length > schemaErrors.length || schemaErrors.some((error) => BLOCKING_KEYWORDS.has(error.keyword));
    if (!blocking) celErrors(value, old, schema, '', errors);
    return { valid: errors.length === 0, errors, value, ...(blocking && { rulesNotChecked: RULES_NOT_CHECKED }) };
  };
}

export const validateChannel: ResourceValidator<Channel> = makeValidator<Channel>('Channel', channelSchema as unknown as Schema);
export const validateEpisode: ResourceValidator<Episode> = makeValidator<Episode>('Episode', episodeSchema as unknown as Schema);

/** Validates and returns the object with defaults applied, or throws a ValidationError naming every bad field. */
export function assertValid<T>(validator: ResourceValidator<T>, kind: string, object: unknown, old?: unknown): T {
  const result = validator(object, old);
  if (!result.valid) {
    const name = (object as { metadata?: { name?: string } } | null)?.metadata?.name;
    throw new ValidationError(kind, name, result.errors);
  }
  return result.value;
}
