// The text of each language the offline writer writes, chosen by a Channel's persona.language.
import { offlineWriterLanguage, unsupportedLanguageMessage, type OfflineWriterLanguage } from '@acog/api';
import { de } from './de.ts';
import { en } from './en.ts';
import { es } from './es.ts';
import { fr } from './fr.ts';
import { it } from './it.ts';
import type { Phrases } from './phrases.ts';
import { pt } from './pt.ts';

export type { KeywordLine, Phrases } from './phrases.ts';

export const PHRASES: Readonly<Record<OfflineWriterLanguage, Phrases>> = { en, de, es, fr, pt, it };

/** Thrown before any work when the offline writer has no text for the Channel's language. */
export class UnsupportedLanguageError extends Error {
  constructor(tag: string) {
    super(unsupportedLanguageMessage(tag));
    this.name = 'UnsupportedLanguageError';
  }
}

/** The phrases of a language tag ("de", "de-DE", "pt-BR"); throws UnsupportedLanguageError when there are none. */
export function phrasesFor(tag: string | undefined): Phrases {
  const language = offlineWriterLanguage(tag);
  if (!language) throw new UnsupportedLanguageError(tag ?? 'en');
  return PHRASES[language];
}

/**
 * Labels for text any writer produced (card labels, description headings): the language's own when
 * there are any, English otherwise (a model may write a language the offline writer has no text for).
 */
export function labelsFor(tag: string | undefined): Phrases {
  return PHRASES[offlineWriterLanguage(tag) ?? 'en'];
}
