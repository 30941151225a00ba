// Whether a Channel can produce episodes: its writer writes persona.language, every provider that
// authenticates names a Secret, the Secret exists, and it holds the keys the provider reads; and no
// model it uses is shut down. The message names exactly what is missing and what to do. A model
// within 60 days of its shutdown leaves the Channel ready, with reason ModelDeprecated naming the
// date and the replacement. Secret values are never read into anything but a key check.
import {
  CAPABILITIES,
  DEFAULT_SECRET_KEYS,
  YOUTUBE_KEYS,
  providerNeedsSecret,
  secretNeed,
  writerLanguageProblem,
  type ChannelSpec,
} from '@acog/api';
import { modelNotices, nextModelNoticeChange } from '@acog/api/catalog';

export type SecretLookup =
  { state: 'found'; keys: string[] } | { state: 'missing' } | { state: 'forbidden' } | { state: 'error'; message: string };

export interface Readiness {
  ready: boolean;
  reason: string;
  message: string;
  /** When the answer changes without any change to the Channel: a model's notice period or shutdown begins. */
  recheckAt?: Date;
}

const KNOWN_PROVIDERS: Record<string, readonly string[]> = {
  llm: ['offline', 'openai'],
  voice: ['piper', 'espeak', 'elevenlabs', 'openai'],
  avatar: ['audiogram', 'heygen'],
  broll: ['motion-graphics', 'pexels', 'runway'],
  publisher: ['folder', 'youtube'],
};

export async function channelReadiness(
  namespace: string,
  spec: ChannelSpec,
  lookup: (secret: string) => Promise<SecretLookup>,
  now: Date = new Date(),
): Promise<Readiness> {
  const problems: { reason: string; text: string }[] = [];
  const language = writerLanguageProblem(spec);
  if (language) problems.push({ reason: 'LanguageUnsupported', text: language });
  const lookups = new Map<string, Promise<SecretLookup>>();
  for (const capability of CAPABILITIES) {
    const settings = spec.providers?.[capability];
    if (!settings) continue;
    const field = `providers.${capability}`;
    if (!KNOWN_PROVIDERS[capability].includes(settings.provider)) {
      problems.push({
        reason: 'UnknownProvider',
        text: `${field}.provider: unknown provider "${settings.provider}" (known: ${KNOWN_PROVIDERS[capability].join(', ')})`,
      });
      continue;
    }
    if (!providerNeedsSecret(settings.provider)) continue;
    const need = secretNeed(capability, settings);
    if (!need) {
      const keys = settings.provider === 'youtube' ? YOUTUBE_KEYS.join(', ') : DEFAULT_SECRET_KEYS[settings.provider];
      problems.push({
        reason: 'SecretRefMissing',
        text: `${field}.secretRef: ${settings.provider} needs a Secret with ${keys}; name it in ${field}.secretRef.name`,
      });
      continue;
    }
    if (!lookups.has(need.secret)) lookups.set(need.secret, lookup(need.secret));
    const found = await lookups.get(need.secret)!;
    if (found.state === 'missing')
      problems.push({
        reason: 'SecretNotFound',
        text: `${field}: secret "${need.secret}" not found in namespace ${namespace}: create it with kubectl create secret generic ${need.secret} --from-literal=${Object.values(need.env)[0]}=…`,
      });
    else if (found.state === 'forbidden')
      problems.push({
        reason: 'SecretNotReadable',
        text: `${field}: the operator may not read secret "${need.secret}" in namespace ${namespace}: add the namespace to the chart's episodeNamespaces`,
      });
    else if (found.state === 'error')
      problems.push({ reason: 'SecretUnavailable', text: `${field}: cannot read secret "${need.secret}": ${found.message}` });
    else {
      const missing = Object.values(need.env).filter((key) => !found.keys.includes(key));
      if (missing.length)
        problems.push({
          reason: 'SecretKeyMissing',
          text: `${field}: secret "${need.secret}" has no key ${missing.join(', ')}${missing.length > 1 ? ' (all are needed)' : ''}`,
        });
    }
  }
  const notices = modelNotices(spec.providers, now);
  for (const notice of notices.filter((candidate) => candidate.state === 'retired'))
    problems.push({ reason: 'ModelRetired', text: notice.text });
  const deprecated = notices.filter((notice) => notice.state === 'deprecated').map((notice) => notice.text);
  const recheckAt = nextModelNoticeChange(spec.providers, now);
  const timing = recheckAt ? { recheckAt } : {};
  if (problems.length === 0) {
    if (deprecated.length) return { ready: true, reason: 'ModelDeprecated', message: deprecated.join('; '), ...timing };
    return { ready: true, reason: 'ProvidersReady', message: 'every provider the Channel names is usable', ...timing };
  }
  return { ready: false, reason: problems[0].reason, message: [...problems.map((p) => p.text), ...deprecated].join('; '), ...timing };
}
