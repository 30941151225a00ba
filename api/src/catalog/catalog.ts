// The model catalog: per provider, the models ACOG knows, what each supports, what it costs and
// when it shuts down. The data lives in api/catalog/<provider>.yaml; this module checks it (pure:
// text in, catalog or an error naming the file and field out) and answers questions about it.
import { parse } from 'yaml';

export const CATALOG_PROVIDERS = ['openai', 'elevenlabs', 'runway'] as const;
export type CatalogProvider = (typeof CATALOG_PROVIDERS)[number];

export type ModelKind = 'chat' | 'speech' | 'transcription' | 'video';

/**
 * What a model supports. Each flag is documented in the catalog file that uses it:
 * temperature, structuredOutputs, imageInput (chat); instructions, wordTimestamps, stitching
 * (speech); wordTimestamps (transcription); textToVideo, imageInput (video).
 */
export const CAPABILITIES = [
  'temperature',
  'structuredOutputs',
  'imageInput',
  'instructions',
  'wordTimestamps',
  'stitching',
  'textToVideo',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** List prices in US dollars. */
export type ModelPrice =
  | { per: 'million-tokens'; input: number; output: number }
  | { per: 'million-characters'; usd: number }
  | { per: 'audio-minute'; usd: number }
  | { per: 'video-second'; usd: number };

export interface CatalogModel {
  id: string;
  kind: ModelKind;
  capabilities: Partial<Record<Capability, boolean>>;
  price: ModelPrice;
  /** The first day (UTC, YYYY-MM-DD) the provider no longer serves the model. */
  shutdown?: string;
  /** The model the provider recommends instead. */
  replacement?: string;
  /** What to do when the replacement is not a drop-in one. */
  advice?: string;
}

export interface ProviderCatalog {
  provider: CatalogProvider;
  /** The day the entries were last checked against the provider's documents. */
  checked: string;
  /** The model the runner uses, by kind, when a Channel names none (the CRD's own defaults aside). */
  defaults: Partial<Record<ModelKind, string>>;
  models: CatalogModel[];
}

export class CatalogError extends Error {
  override name = 'CatalogError';
}

const KINDS: readonly ModelKind[] = ['chat', 'speech', 'transcription', 'video'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MODEL_KEYS = new Set(['id', 'kind', 'capabilities', 'price', 'shutdown', 'replacement', 'advice']);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isPrice = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isDate = (value: unknown): value is string =>
  typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));

/** A catalog file's text, checked. `file` names it in errors. */
export function parseProviderCatalog(file: string, text: string): ProviderCatalog {
  const fail = (where: string, why: string): never => {
    throw new CatalogError(`${file}: ${where}: ${why}`);
  };
  // The YAML 1.2 core schema keeps 2026-12-07 a string (no timestamp type).
  const document: unknown = parse(text);
  if (!isRecord(document)) return fail('(top)', 'must be a mapping with provider, checked and models');
  const provider = document.provider;
  if (!CATALOG_PROVIDERS.includes(provider as CatalogProvider))
    fail('provider', `must be one of ${CATALOG_PROVIDERS.join(', ')}, not ${JSON.stringify(provider)}`);
  if (!isDate(document.checked)) fail('checked', 'must be a date, YYYY-MM-DD');
  if (!Array.isArray(document.models) || document.models.length === 0) fail('models', 'must be a non-empty list');

  const seen = new Set<string>();
  const models = (document.models as unknown[]).map((entry, index): CatalogModel => {
    const at = (field: string) => `models[${index}]${field ? `.${field}` : ''}`;
    if (!isRecord(entry)) return fail(at(''), 'must be a mapping');
    for (const key of Object.keys(entry)) if (!MODEL_KEYS.has(key)) fail(at(key), `unknown field (known: ${[...MODEL_KEYS].join(', ')})`);
    const id = entry.id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9][-A-Za-z0-9._]*$/.test(id)) return fail(at('id'), 'must be a model id');
    if (seen.has(id)) fail(at('id'), `${id} is listed twice`);
    seen.add(id);
    if (!KINDS.includes(entry.kind as ModelKind)) fail(at('kind'), `must be one of ${KINDS.join(', ')}`);

    const capabilities: Partial<Record<Capability, boolean>> = {};
    if (!isRecord(entry.capabilities)) return fail(at('capabilities'), 'must be a mapping of flags to true or false');
    for (const [flag, value] of Object.entries(entry.capabilities)) {
      if (!CAPABILITIES.includes(flag as Capability)) fail(at(`capabilities.${flag}`), `unknown flag (known: ${CAPABILITIES.join(', ')})`);
      if (typeof value !== 'boolean') fail(at(`capabilities.${flag}`), 'must be true or false');
      capabilities[flag as Capability] = value as boolean;
    }

    const price = entry.price;
    if (!isRecord(price)) return fail(at('price'), 'must be a mapping with per and the amounts');
    let checkedPrice: ModelPrice;
    if (price.per === 'million-tokens') {
      if (!isPrice(price.input) || !isPrice(price.output) || Object.keys(price).length !== 3)
        fail(at('price'), 'per million-tokens takes exactly input and output, numbers of US dollars ≥ 0');
      checkedPrice = { per: 'million-tokens', input: price.input as number, output: price.output as number };
    } else if (price.per === 'million-characters' || price.per === 'audio-minute' || price.per === 'video-second') {
      if (!isPrice(price.usd) || Object.keys(price).length !== 2) fail(at('price'), `per ${price.per} takes exactly usd, a number ≥ 0`);
      checkedPrice = { per: price.per, usd: price.usd as number };
    } else {
      return fail(at('price.per'), 'must be million-tokens, million-characters, audio-minute or video-second');
    }

    const model: CatalogModel = { id, kind: entry.kind as ModelKind, capabilities, price: checkedPrice };
    if (entry.shutdown !== undefined) {
      if (!isDate(entry.shutdown)) fail(at('shutdown'), 'must be a date, YYYY-MM-DD');
      model.shutdown = entry.shutdown as string;
    }
    for (const field of ['replacement', 'advice'] as const) {
      const value = entry[field];
      if (value === undefined) continue;
      if (typeof value !== 'string' || value.trim() === '') fail(at(field), 'must be a non-empty string');
      if (model.shutdown === undefined) fail(at(field), 'only a model with a shutdown date has one');
      model[field] = value as string;
    }
    if (model.shutdown !== undefined && model.replacement === undefined)
      fail(at('replacement'), 'a model with a shutdown date names its replacement');
    return model;
  });
  const defaults: Partial<Record<ModelKind, string>> = {};
  if (document.defaults !== undefined) {
    if (!isRecord(document.defaults)) fail('defaults', 'must be a mapping of model kinds to model ids');
    for (const [kind, id] of Object.entries(document.defaults as Record<string, unknown>)) {
      if (!KINDS.includes(kind as ModelKind)) fail(`defaults.${kind}`, `unknown kind (known: ${KINDS.join(', ')})`);
      const model = models.find((entry) => entry.id === id);
      if (!model) fail(`defaults.${kind}`, `${JSON.stringify(id)} is not a listed model`);
      else if (model.kind !== kind) fail(`defaults.${kind}`, `${model.id} is a ${model.kind} model`);
      defaults[kind as ModelKind] = id as string;
    }
  }
  return { provider: provider as CatalogProvider, checked: document.checked as string, defaults, models };
}

/**
 * A model's entry: the exact id, else the longest listed id the model extends with "-…" (a dated
 * snapshot such as gpt-4o-2024-08-06 is its family's).
 */
export function findModel(catalog: ProviderCatalog, model: string): CatalogModel | undefined {
  const exact = catalog.models.find((entry) => entry.id === model);
  if (exact) return exact;
  return catalog.models.filter((entry) => model.startsWith(`${entry.id}-`)).sort((a, b) => b.id.length - a.id.length)[0];
}

/** A model's flag, or undefined when the catalog does not know the model (an OpenAI-compatible server's, say). */
export function supports(catalog: ProviderCatalog, model: string, capability: Capability): boolean | undefined {
  const entry = findModel(catalog, model);
  return entry ? (entry.capabilities[capability] ?? false) : undefined;
}

/** How many days ahead of a shutdown a Channel is warned. */
export const DEPRECATION_NOTICE_DAYS = 60;
const DAY_MS = 86_400_000;

export type ModelLifecycle =
  | { state: 'unknown' }
  | { state: 'active' }
  | { state: 'deprecated'; shutdown: string; daysLeft: number; replacement: string; advice?: string }
  | { state: 'retired'; shutdown: string; replacement: string; advice?: string };

/**
 * Where a model stands at `now`: retired from its shutdown day (UTC) on, deprecated in the
 * DEPRECATION_NOTICE_DAYS before, else active (or unknown when the catalog does not list it).
 */
export function lifecycleOf(catalog: ProviderCatalog, model: string, now: Date): ModelLifecycle {
  const entry = findModel(catalog, model);
  if (!entry) return { state: 'unknown' };
  if (!entry.shutdown) return { state: 'active' };
  const shutdownMs = Date.parse(`${entry.shutdown}T00:00:00Z`);
  const replacement = entry.replacement!;
  const advice = entry.advice === undefined ? {} : { advice: entry.advice };
  if (now.getTime() >= shutdownMs) return { state: 'retired', shutdown: entry.shutdown, replacement, ...advice };
  const daysLeft = Math.ceil((shutdownMs - now.getTime()) / DAY_MS);
  if (daysLeft > DEPRECATION_NOTICE_DAYS) return { state: 'active' };
  return { state: 'deprecated', shutdown: entry.shutdown, daysLeft, replacement, ...advice };
}

/** A model's cost in US dollars for what was used, or undefined when the catalog has no price for it. */
export function costUSD(
  catalog: ProviderCatalog,
  model: string,
  usage: { inputTokens?: number; outputTokens?: number; characters?: number; audioSeconds?: number; videoSeconds?: number },
): number | undefined {
  const price = findModel(catalog, model)?.price;
  if (!price) return undefined;
  let cost: number;
  switch (price.per) {
    case 'million-tokens':
      cost = ((usage.inputTokens ?? 0) * price.input + (usage.outputTokens ?? 0) * price.output) / 1_000_000;
      break;
    case 'million-characters':
      cost = ((usage.characters ?? 0) * price.usd) / 1_000_000;
      break;
    case 'audio-minute':
      cost = ((usage.audioSeconds ?? 0) / 60) * price.usd;
      break;
    case 'video-second':
      cost = (usage.videoSeconds ?? 0) * price.usd;
      break;
  }
  return Math.round(cost * 1e6) / 1e6;
}
