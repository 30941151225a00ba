// Malformed Channels and Episodes are refused by the API server itself, with a message that names
// the field; the generated validators (@acog/api) refuse each one too, naming the same field.
import { beforeAll, describe, expect, it } from 'vitest';
import { validateChannel, validateEpisode, type Channel, type Episode } from '@acog/api';
import { kubeConfig, uniqueName } from '../support/env.ts';
import { apiFailure, createNamespace, createObject, example } from '../support/kube.ts';

type Mutable = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Case {
  name: string;
  kind: 'Channel' | 'Episode';
  change: (object: Mutable) => void;
  /** The field the API server names. */
  field: string;
  /** What the API server says of it. */
  message: RegExp;
}

const channel = (name: string, field: string, message: RegExp, change: Case['change']): Case => ({
  name,
  kind: 'Channel',
  change,
  field,
  message,
});
const episode = (name: string, field: string, message: RegExp, change: Case['change']): Case => ({
  name,
  kind: 'Episode',
  change,
  field,
  message,
});

const cases: Case[] = [
  channel('persona missing', 'spec.persona', /Required value/, (o) => delete o.spec.persona),
  channel('format missing', 'spec.format', /Required value/, (o) => delete o.spec.format),
  channel('persona name of the wrong type', 'spec.persona.name', /must be of type string/, (o) => (o.spec.persona.name = 42)),
  channel('persona name empty', 'spec.persona.name', /at least 1 chars long/, (o) => (o.spec.persona.name = '')),
  channel(
    'persona name of spaces only',
    'spec.persona.name',
    /persona.name must hold more than spaces/,
    (o) => (o.spec.persona.name = ' \t '),
  ),
  channel(
    'tone too long',
    'spec.persona.tone',
    /Too long: may not be (longer|more) than 300/,
    (o) => (o.spec.persona.tone = 'x'.repeat(301)),
  ),
  channel('language not a BCP 47 tag', 'spec.persona.language', /should match/, (o) => (o.spec.persona.language = 'English')),
  channel(
    'banned topic listed twice',
    'spec.persona.bannedTopics[1]',
    /Duplicate value/,
    (o) => (o.spec.persona.bannedTopics = ['politics', 'politics']),
  ),
  channel(
    'aspect ratio not offered',
    'spec.format.aspectRatio',
    /Unsupported value: "4:3": supported values: "16:9", "9:16"/,
    (o) => (o.spec.format.aspectRatio = '4:3'),
  ),
  channel(
    'duration below 15 s',
    'spec.format.targetDurationSeconds',
    /greater than or equal to 15/,
    (o) => (o.spec.format.targetDurationSeconds = 5),
  ),
  channel(
    'duration above 2 h',
    'spec.format.targetDurationSeconds',
    /less than or equal to 7200/,
    (o) => (o.spec.format.targetDurationSeconds = 10_000),
  ),
  channel(
    'duration as text',
    'spec.format.targetDurationSeconds',
    /must be of type integer/,
    (o) => (o.spec.format.targetDurationSeconds = 'sixty'),
  ),
  channel(
    'Short longer than 180 s',
    'spec.format.targetDurationSeconds',
    /9:16 channel makes YouTube Shorts, which are at most 180 seconds/,
    (o) => {
      o.spec.format.aspectRatio = '9:16';
      o.spec.format.targetDurationSeconds = 600;
    },
  ),
  channel('layout unknown', 'spec.format.layout', /Unsupported value: "split"/, (o) => (o.spec.format.layout = 'split')),
  channel(
    'caption style unknown',
    'spec.format.captions.style',
    /Unsupported value: "comic"/,
    (o) => (o.spec.format.captions.style = 'comic'),
  ),
  channel(
    'zero words per caption',
    'spec.format.captions.maxWordsPerCue',
    /greater than or equal to 1/,
    (o) => (o.spec.format.captions.maxWordsPerCue = 0),
  ),
  channel('music without uri', 'spec.format.music.uri', /Required value/, (o) => (o.spec.format.music = { volumeDb: -20 })),
  channel('music on ftp', 'spec.format.music.uri', /should match/, (o) => (o.spec.format.music = { uri: 'ftp://example.com/a.mp3' })),
  channel(
    'music louder than full scale',
    'spec.format.music.volumeDb',
    /less than or equal to 0/,
    (o) => (o.spec.format.music = { uri: 's3://acog-assets/m.mp3', volumeDb: 6 }),
  ),
  channel('brand colour by name', 'spec.format.brandColor', /should match/, (o) => (o.spec.format.brandColor = 'blue')),
  channel(
    'llm provider unknown',
    'spec.providers.llm.provider',
    /Unsupported value: "anthropic"/,
    (o) => (o.spec.providers.llm.provider = 'anthropic'),
  ),
  channel(
    'openai without a secret',
    'spec.providers.llm.secretRef',
    /provider openai needs secretRef/,
    (o) => (o.spec.providers.llm = { provider: 'openai' }),
  ),
  channel(
    'elevenlabs without a secret',
    'spec.providers.voice.secretRef',
    /provider elevenlabs or openai needs secretRef/,
    (o) => (o.spec.providers.voice = { provider: 'elevenlabs', voiceId: 'abc' }),
  ),
  channel(
    'piper with a voice it does not have',
    'spec.providers.voice.voiceId',
    /provider piper has the voice en_US-joe-medium only/,
    (o) => (o.spec.providers.voice = { provider: 'piper', voiceId: 'de_DE-thorsten-medium' }),
  ),
  channel(
    'heygen without an avatar',
    'spec.providers.avatar.provider',
    /provider heygen needs both secretRef .* and avatarId/,
    (o) => (o.spec.providers.avatar = { provider: 'heygen', secretRef: { name: 'heygen' } }),
  ),
  channel(
    'runway without a secret',
    'spec.providers.broll.secretRef',
    /provider pexels or runway needs secretRef/,
    (o) => (o.spec.providers.broll = { provider: 'runway' }),
  ),
  channel(
    'youtube without a secret',
    'spec.providers.publisher.secretRef',
    /provider youtube needs secretRef/,
    (o) => (o.spec.providers.publisher = { provider: 'youtube' }),
  ),
  channel(
    'secret name not a DNS name',
    'spec.providers.llm.secretRef.name',
    /should match/,
    (o) => (o.spec.providers.llm = { provider: 'openai', secretRef: { name: 'Bad_Name' } }),
  ),
  channel(
    'baseURL without a scheme',
    'spec.providers.llm.baseURL',
    /should match/,
    (o) => (o.spec.providers.llm = { provider: 'openai', baseURL: 'localhost:8080' }),
  ),
  channel(
    'temperature above 2',
    'spec.providers.llm.temperature',
    /less than or equal to 2/,
    (o) => (o.spec.providers.llm.temperature = 3),
  ),
  channel(
    'approval gate before no real stage',
    'spec.approvalGates[0]',
    /Unsupported value: "review"/,
    (o) => (o.spec.approvalGates = ['review']),
  ),
  channel('plan skipped', 'spec.skipStages', /plan and script cannot be skipped/, (o) => (o.spec.skipStages = ['plan'])),
  channel(
    'assemble skipped while upload is on',
    'spec.skipStages',
    /assemble cannot be skipped while upload is on/,
    (o) => (o.spec.skipStages = ['assemble']),
  ),
  channel(
    'voice skipped while avatar is on',
    'spec.skipStages',
    /voice cannot be skipped while avatar is on/,
    (o) => (o.spec.skipStages = ['voice']),
  ),
  channel(
    'avatar layout with avatar skipped',
    'spec.format.layout',
    /format.layout shows the avatar, but skipStages skips the avatar stage/,
    (o) => (o.spec.skipStages = ['avatar']),
  ),
  channel('no attempts at all', 'spec.retryPolicy.maxAttempts', /greater than or equal to 1/, (o) => (o.spec.retryPolicy.maxAttempts = 0)),
  channel(
    'max backoff below backoff',
    'spec.retryPolicy.maxBackoffSeconds',
    /maxBackoffSeconds must be at least backoffSeconds/,
    (o) => (o.spec.retryPolicy = { backoffSeconds: 100, maxBackoffSeconds: 10 }),
  ),
  channel('retention unknown', 'spec.retention.artifacts', /Unsupported value: "Forever"/, (o) => (o.spec.retention.artifacts = 'Forever')),
  channel('cron in words', 'spec.schedule.cron', /schedule.cron must be five fields/, (o) => (o.spec.schedule.cron = 'every monday')),
  channel('schedule without cron', 'spec.schedule.cron', /Required value/, (o) => delete o.spec.schedule.cron),
  channel('pulse on without rules', 'spec.pulse.rules', /spec.pulse.rules is empty, so no event could ever match/, (o) => {
    o.spec.pulse.enabled = true;
    o.spec.pulse.rules = [];
  }),
  channel('pulse source with a slash', 'spec.pulse.rules[0].source', /should match/, (o) => (o.spec.pulse.rules[0].source = 'news/feed')),
  channel('pulse score above 1', 'spec.pulse.rules[0].minScore', /less than or equal to 1/, (o) => (o.spec.pulse.rules[0].minScore = 2)),
  channel('negative budget', 'spec.budget.monthlyLimitUSD', /greater than or equal to 0/, (o) => (o.spec.budget.monthlyLimitUSD = -1)),
  channel('unknown field', 'spec.format.resolution', /unknown field "spec.format.resolution"/, (o) => (o.spec.format.resolution = '4k')),
  episode('channelRef missing', 'spec.channelRef', /Required value/, (o) => delete o.spec.channelRef),
  episode('topic missing', 'spec.topic', /Required value/, (o) => delete o.spec.topic),
  episode('topic too short', 'spec.topic', /at least 3 chars long/, (o) => (o.spec.topic = 'AI')),
  episode('topic of spaces only', 'spec.topic', /topic must hold more than spaces/, (o) => (o.spec.topic = '   ')),
  episode('topic too long', 'spec.topic', /Too long: may not be (longer|more) than 200/, (o) => (o.spec.topic = 'x'.repeat(201))),
  episode('channel name with capitals', 'spec.channelRef.name', /should match/, (o) => (o.spec.channelRef.name = 'Tech_Channel')),
  episode(
    '21 key points',
    'spec.keyPoints',
    /Too many: .*must have at most 20 items/,
    (o) => (o.spec.keyPoints = Array.from({ length: 21 }, (_, i) => `point ${i}`)),
  ),
  episode('reference not a URL', 'spec.references[0].url', /should match/, (o) => (o.spec.references[0].url = 'the postgres docs')),
  episode('privacy unknown', 'spec.publish.privacy', /Unsupported value: "friends"/, (o) => (o.spec.publish.privacy = 'friends')),
  episode('publish time in words', 'spec.publish.at', /must be of type date-time/, (o) => (o.spec.publish.at = 'next tuesday')),
  episode(
    'scheduled private release',
    'spec.publish.privacy',
    /publish.at schedules a public release/,
    (o) => (o.spec.publish.privacy = 'private'),
  ),
  episode(
    'publish time with upload skipped',
    'spec.publish.at',
    /publish.at is set but overrides.skipStages skips upload/,
    (o) => (o.spec.overrides = { skipStages: ['upload'] }),
  ),
  episode(
    'script skipped',
    'spec.overrides.skipStages',
    /plan and script cannot be skipped/,
    (o) => (o.spec.overrides = { skipStages: ['script'] }),
  ),
  episode('assemble skipped while upload is on', 'spec.overrides.skipStages', /assemble cannot be skipped while upload is on/, (o) => {
    delete o.spec.publish;
    o.spec.overrides = { skipStages: ['assemble'] };
  }),
  episode(
    'override duration above 2 h',
    'spec.overrides.targetDurationSeconds',
    /less than or equal to 7200/,
    (o) => (o.spec.overrides = { targetDurationSeconds: 9000 }),
  ),
  episode('suspend as text', 'spec.suspend', /must be of type boolean/, (o) => (o.spec.suspend = 'yes')),
  episode(
    'approval gate before no real stage',
    'spec.approvalGates[0]',
    /Unsupported value: "publish"/,
    (o) => (o.spec.approvalGates = ['publish']),
  ),
  episode(
    'voice provider unknown',
    'spec.overrides.providers.voice.provider',
    /Unsupported value: "polly"/,
    (o) => (o.spec.overrides = { providers: { voice: { provider: 'polly' } } }),
  ),
  episode('unknown field', 'spec.title', /unknown field "spec.title"/, (o) => (o.spec.title = 'How indexes work')),
];

describe('malformed manifests', () => {
  const kc = kubeConfig('admin');
  const namespace = uniqueName('malformed');
  const bases: Record<Case['kind'], Mutable> = { Channel: {}, Episode: {} };

  beforeAll(async () => {
    await createNamespace(kc, namespace);
    bases.Channel = await example('channel.yaml');
    bases.Episode = await example('episode.yaml');
  });

  it('has at least 40 cases, each with its own name', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => `${c.kind}: ${c.name}`)).size).toBe(cases.length);
  });

  it.each(cases)('$kind: $name is refused by the API server, naming $field', async ({ kind, change, field, message }) => {
    const object = structuredClone(bases[kind]);
    object.metadata.name = uniqueName(kind.toLowerCase());
    change(object);
    const failure = await apiFailure(createObject(kc, namespace, kind === 'Channel' ? 'channels' : 'episodes', object));
    expect([400, 422]).toContain(failure.code);
    expect(failure.message).toContain(field);
    expect(failure.message).toMatch(message);
  });

  it.each(cases)('$kind: $name is refused by the generated validator, naming $field', ({ kind, change, field, message }) => {
    const object = structuredClone(bases[kind]);
    change(object);
    const result = kind === 'Channel' ? validateChannel(object as Channel) : validateEpisode(object as Episode);
    expect(result.valid).toBe(false);
    const error = result.errors.find((e) => e.field === field);
    expect(error, `errors were: ${JSON.stringify(result.errors)}`).toBeDefined();
    expect(`${error!.field}: ${error!.message}`).toMatch(message);
  });
});
