// What an Episode's provider overrides may name. An override replaces the Channel's settings for
// one capability; it may change models, voices and the like freely, but a Secret or a base URL it
// names decides whose credentials the runner sends where. So it may name only the Channel's own
// secretRef and baseURL for that capability, or those the Channel lists in spec.episodeOverrides.
// The operator holds an Episode that breaks this, and the plugin and the gateway refuse it first.
import type { ChannelSpec, EpisodeSpec } from './generated/types.ts';
import { CAPABILITIES, type Capability } from './credentials.ts';
import type { FieldError } from './validation.ts';

interface SecretRef {
  name: string;
  key?: string;
}

function sameSecret(a: SecretRef, b: SecretRef | undefined): boolean {
  return !!b && a.name === b.name && (a.key ?? '') === (b.key ?? '');
}

function normaliseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Every field of an Episode's overrides.providers that names a Secret or base URL its Channel does not allow. */
export function overrideProblems(channel: ChannelSpec | undefined, episode: EpisodeSpec): FieldError[] {
  const overrides = episode.overrides?.providers;
  if (!overrides) return [];
  const allowed = channel?.episodeOverrides;
  const problems: FieldError[] = [];
  for (const capability of CAPABILITIES) {
    const override = overrides[capability] as { secretRef?: SecretRef; baseURL?: string } | undefined;
    if (!override) continue;
    const own = channel?.providers?.[capability as Capability] as { secretRef?: SecretRef; baseURL?: string } | undefined;
    const field = `spec.overrides.providers.${capability}`;
    const ref = override.secretRef;
    if (ref && !sameSecret(ref, own?.secretRef)) {
      const listed = allowed?.secretRefs?.some(
        (entry) => entry.name === ref.name && (entry.key === undefined || entry.key === (ref.key ?? entry.key)),
      );
      if (!listed) {
        problems.push({
          field: `${field}.secretRef`,
          message: `Secret "${ref.name}"${ref.key ? ` (key ${ref.key})` : ''} is not the Channel's own for ${capability} and not listed in the Channel's spec.episodeOverrides.secretRefs; an Episode may name only Secrets its Channel allows`,
        });
      }
    }
    if (override.baseURL !== undefined) {
      const url = normaliseUrl(override.baseURL);
      const ownUrl = own?.baseURL === undefined ? undefined : normaliseUrl(own.baseURL);
      if (url !== ownUrl && !allowed?.baseURLs?.some((entry) => normaliseUrl(entry) === url)) {
        problems.push({
          field: `${field}.baseURL`,
          message: `${override.baseURL} is not the Channel's own base URL and not listed in the Channel's spec.episodeOverrides.baseURLs; an Episode may name only servers its Channel allows`,
        });
      }
    }
  }
  return problems;
}
