// @acog/api/catalog: the model catalog of api/catalog/*.yaml, read once and checked on first use.
import { readFileSync } from 'node:fs';
import type { Providers } from '../generated/types.ts';
import { channelModelNotices, nextModelChange, type ModelNotice } from './channel-models.ts';
import {
  CATALOG_PROVIDERS,
  costUSD,
  findModel,
  lifecycleOf,
  parseProviderCatalog,
  supports,
  type Capability,
  type CatalogModel,
  type CatalogProvider,
  type ModelKind,
  type ModelLifecycle,
  type ProviderCatalog,
} from './catalog.ts';

export * from './catalog.ts';
export { channelModelUses, type ModelNotice } from './channel-models.ts';

const catalogs = new Map<CatalogProvider, ProviderCatalog>();

/** The checked catalog of a provider (api/catalog/<provider>.yaml). */
export function providerCatalog(provider: CatalogProvider): ProviderCatalog {
  let catalog = catalogs.get(provider);
  if (!catalog) {
    const url = new URL(`../../catalog/${provider}.yaml`, import.meta.url);
    catalog = parseProviderCatalog(`api/catalog/${provider}.yaml`, readFileSync(url, 'utf8'));
    if (catalog.provider !== provider)
      throw new Error(`api/catalog/${provider}.yaml: provider: says ${catalog.provider}, but the file is ${provider}'s`);
    catalogs.set(provider, catalog);
  }
  return catalog;
}

/** Whether a provider has a catalog (the offline providers, HeyGen and Pexels name no models). */
export function hasCatalog(provider: string): provider is CatalogProvider {
  return (CATALOG_PROVIDERS as readonly string[]).includes(provider);
}

export const modelEntry = (provider: CatalogProvider, model: string): CatalogModel | undefined =>
  findModel(providerCatalog(provider), model);

export const modelSupports = (provider: CatalogProvider, model: string, capability: Capability): boolean | undefined =>
  supports(providerCatalog(provider), model, capability);

export const modelLifecycle = (provider: CatalogProvider, model: string, now: Date): ModelLifecycle =>
  lifecycleOf(providerCatalog(provider), model, now);

export const modelCostUSD = (provider: CatalogProvider, model: string, usage: Parameters<typeof costUSD>[2]): number | undefined =>
  costUSD(providerCatalog(provider), model, usage);

/** The model a provider's runner uses when a Channel names none. */
export const defaultModel = (provider: CatalogProvider, kind: ModelKind): string | undefined => providerCatalog(provider).defaults[kind];

/** The models of a Channel that are deprecated or retired at `now`, one notice each. */
export const modelNotices = (providers: Providers | undefined, now: Date): ModelNotice[] =>
  channelModelNotices(providers, now, providerCatalog);

/** When the notices of a Channel's models next change (a model enters its notice period or shuts down). */
export const nextModelNoticeChange = (providers: Providers | undefined, now: Date): Date | undefined =>
  nextModelChange(providers, now, providerCatalog);
