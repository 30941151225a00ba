// What the catalog says about the models a Channel uses: one notice per model that is within
// DEPRECATION_NOTICE_DAYS of its shutdown or past it, worded for a person, and the next moment the
// answer changes. Pure (the catalogs and the clock come in); the operator's Ready condition and
// `kubectl acog doctor` both say what this says.
import type { Providers } from '../generated/types.ts';
import { DEPRECATION_NOTICE_DAYS, findModel, lifecycleOf, type CatalogProvider, type ModelKind, type ProviderCatalog } from './catalog.ts';

export interface ModelNotice {
  /** The field that names the model, e.g. providers.llm.model. */
  field: string;
  provider: CatalogProvider;
  model: string;
  /** The Channel names no model there; the provider's default is used. */
  defaulted: boolean;
  state: 'deprecated' | 'retired';
  shutdown: string;
  replacement: string;
  /** Set when the replacement is not a drop-in one (another API, another provider): what to do instead. */
  advice?: string;
  /** One sentence: what happens when, and what to set. */
  text: string;
}

const PROVIDER_NAMES: Record<CatalogProvider, string> = { openai: 'OpenAI', elevenlabs: 'ElevenLabs', runway: 'Runway' };
const DAY_MS = 86_400_000;

interface ModelUse {
  field: string;
  provider: CatalogProvider;
  model: string;
  defaulted: boolean;
}

/** The catalogued models a Channel's providers use, with the field that names each. */
export function channelModelUses(providers: Providers | undefined, catalogOf: (provider: CatalogProvider) => ProviderCatalog): ModelUse[] {
  const uses: ModelUse[] = [];
  const add = (field: string, provider: CatalogProvider, named: string | undefined, kind: ModelKind) => {
    const model = named ?? catalogOf(provider).defaults[kind];
    if (model) uses.push({ field, provider, model, defaulted: named === undefined });
  };
  const llm = providers?.llm;
  // Another OpenAI-compatible server (baseURL) has its own models and its own schedule.
  if (llm?.provider === 'openai' && !llm.baseURL) {
    if (llm.planModel) add('providers.llm.planModel', 'openai', llm.planModel, 'chat');
    if (llm.model) add('providers.llm.model', 'openai', llm.model, 'chat');
  }
  const voice = providers?.voice;
  if (voice?.provider === 'openai' || voice?.provider === 'elevenlabs') add('providers.voice.model', voice.provider, voice.model, 'speech');
  const broll = providers?.broll;
  if (broll?.provider === 'runway') add('providers.broll.model', 'runway', broll.model, 'video');
  return uses;
}

export function channelModelNotices(
  providers: Providers | undefined,
  now: Date,
  catalogOf: (provider: CatalogProvider) => ProviderCatalog,
): ModelNotice[] {
  const notices: ModelNotice[] = [];
  for (const use of channelModelUses(providers, catalogOf)) {
    const lifecycle = lifecycleOf(catalogOf(use.provider), use.model, now);
    if (lifecycle.state !== 'deprecated' && lifecycle.state !== 'retired') continue;
    const name = PROVIDER_NAMES[use.provider];
    const where = use.defaulted ? `${use.field} (unset, so ${name}'s default ${use.model})` : use.field;
    const what =
      lifecycle.state === 'deprecated'
        ? `${name} shuts ${use.model} down on ${lifecycle.shutdown} (in ${lifecycle.daysLeft} day${lifecycle.daysLeft === 1 ? '' : 's'}); it runs until then`
        : `${name} shut ${use.model} down on ${lifecycle.shutdown}; stages that use it fail`;
    const todo = lifecycle.advice
      ? `${name} names ${lifecycle.replacement} instead, but ${lifecycle.advice}`
      : `set ${use.field} to ${lifecycle.replacement}`;
    notices.push({
      ...use,
      state: lifecycle.state,
      shutdown: lifecycle.shutdown,
      replacement: lifecycle.replacement,
      ...(lifecycle.advice === undefined ? {} : { advice: lifecycle.advice }),
      text: `${where}: ${what}: ${todo}`,
    });
  }
  return notices;
}

/** The next moment after `now` at which a model the Channel uses becomes deprecated or retired. */
export function nextModelChange(
  providers: Providers | undefined,
  now: Date,
  catalogOf: (provider: CatalogProvider) => ProviderCatalog,
): Date | undefined {
  let next: number | undefined;
  for (const use of channelModelUses(providers, catalogOf)) {
    const shutdown = findModel(catalogOf(use.provider), use.model)?.shutdown;
    if (!shutdown) continue;
    const shutdownMs = Date.parse(`${shutdown}T00:00:00Z`);
    for (const moment of [shutdownMs - DEPRECATION_NOTICE_DAYS * DAY_MS, shutdownMs])
      if (moment > now.getTime() && (next === undefined || moment < next)) next = moment;
  }
  return next === undefined ? undefined : new Date(next);
}
