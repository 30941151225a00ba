// The languages the offline writer has text for, and how a Channel's persona.language (a BCP 47 tag)
// resolves to one of them. The operator (Channel readiness), `kubectl acog render` and the runners
// all refuse a language the offline writer cannot write before any work starts.
import type { ChannelSpec, EpisodeSpec } from './generated/types.ts';

export const OFFLINE_WRITER_LANGUAGES = ['en', 'de', 'es', 'fr', 'pt', 'it'] as const;
export type OfflineWriterLanguage = (typeof OFFLINE_WRITER_LANGUAGES)[number];

/** The primary language subtag, lower-cased: "pt-BR" → "pt", "de_DE" → "de"; "en" when unset. */
export function primaryLanguage(tag: string | undefined): string {
  return (tag ?? 'en').trim().split(/[-_]/)[0]!.toLowerCase();
}

/** The offline writer's language for a tag ("de", "de-DE", "de-AT" → "de"), or undefined when it has none. */
export function offlineWriterLanguage(tag: string | undefined): OfflineWriterLanguage | undefined {
  const primary = primaryLanguage(tag);
  return (OFFLINE_WRITER_LANGUAGES as readonly string[]).includes(primary) ? (primary as OfflineWriterLanguage) : undefined;
}

/** The refusal of a language the offline writer has no text for: names the field, the tag and the languages it has. */
export function unsupportedLanguageMessage(tag: string): string {
  return (
    `persona.language: the offline writer has no text for "${tag}"; it writes ${OFFLINE_WRITER_LANGUAGES.join(', ')} ` +
    `(regional tags such as de-DE or pt-BR resolve to their language). Set persona.language to one of them, ` +
    `or name a writer that writes "${tag}" in providers.llm (provider: openai)`
  );
}

/**
 * Why the Channel (with the Episode's overrides, when given) cannot be written: the offline writer is
 * its writer and persona.language is a language it has no text for. Undefined when it can.
 */
export function writerLanguageProblem(channel: ChannelSpec, episode?: EpisodeSpec): string | undefined {
  const writer = episode?.overrides?.providers?.llm?.provider ?? channel.providers?.llm?.provider ?? 'offline';
  if (writer !== 'offline') return undefined;
  const tag = channel.persona.language ?? 'en';
  return offlineWriterLanguage(tag) ? undefined : unsupportedLanguageMessage(tag);
}
