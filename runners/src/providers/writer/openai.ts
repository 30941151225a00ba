// The OpenAI writer: plan, script, refine and metadata through chat completions with structured
// outputs (strict JSON schemas), against OpenAI or any OpenAI-compatible server. What the model
// returns is checked against the schema and then held to the same rules as the offline writer.
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import {
  OPENAI_DEFAULT_PLAN_MODEL as DEFAULT_PLAN_MODEL,
  OPENAI_DEFAULT_TEXT_MODEL as DEFAULT_MODEL,
  tokenPrice,
  type ChannelSpec,
  type EpisodeSpec,
  type LlmProvider,
} from '@acog/api';
import type { BrollCue, Metadata, Plan, PlanBeat, RefinedScript, Script } from '../../contract/documents.ts';
import { ProviderError } from '../http.ts';
import type { Produced, ProviderContext } from '../types.ts';
import { callOpenAi, connectOpenAi, type OpenAiClientOptions, type OpenAiConnection } from '../openai-client.ts';
import {
  assertNoBannedTopic,
  describeLength,
  enforceMetadataLimits,
  fitsLength,
  lengthTarget,
  measureBeats,
  METADATA_LIMITS,
  type LengthTarget,
} from './rules.ts';
import { metadataSchema, planSchema, refineSchema, schemaErrors, scriptSchema, type JsonSchema } from './schemas.ts';
import { headingOf, keywordsOf, toSpeakable } from './text.ts';
import type { Writer } from './types.ts';

export { OPENAI_DEFAULT_PLAN_MODEL as DEFAULT_PLAN_MODEL, OPENAI_DEFAULT_TEXT_MODEL as DEFAULT_MODEL } from '@acog/api';

// The price table lives in @acog/api, where the budget's estimates read it too.
export { OPENAI_TOKEN_PRICES, tokenPrice } from '@acog/api';

export interface OpenAiWriterOptions extends OpenAiClientOptions {
  /** How many times refine asks the model again when the script misses the length (default 1). */
  lengthRetries?: number;
}

interface Tokens {
  promptTokens: number;
  completionTokens: number;
  costUSD: number;
}

export function createOpenAiWriter(spec: LlmProvider, options: OpenAiWriterOptions = {}): Writer {
  const planModel = spec.planModel ?? DEFAULT_PLAN_MODEL;
  const model = spec.model ?? DEFAULT_MODEL;
  const connect = (ctx: ProviderContext) => connectOpenAi(ctx, { baseURL: spec.baseURL, secretRef: spec.secretRef }, options);

  async function complete<T>(
    ctx: ProviderContext,
    connection: OpenAiConnection,
    step: { name: string; model: string; messages: ChatCompletionMessageParam[]; schema: JsonSchema },
  ): Promise<{ value: T; content: string; tokens: Tokens }> {
    const what = `chat.completions (${step.name}, ${step.model})`;
    const completion = await callOpenAi(connection, ctx, what, (signal) =>
      connection.client.chat.completions.create(
        {
          model: step.model,
          messages: step.messages,
          ...(spec.temperature === undefined ? {} : { temperature: spec.temperature }),
          response_format: { type: 'json_schema', json_schema: { name: `acog_${step.name}`, strict: true, schema: step.schema } },
        },
        { signal },
      ),
    );
    const choice = completion.choices?.[0];
    const fail = (message: string) => new ProviderError('OpenAI', 'bad-response', `OpenAI (${step.model}) ${message}`);
    if (!choice) throw fail(`answered the ${step.name} step with no choices`);
    if (choice.message.refusal) throw fail(`refused to write the ${step.name}: ${choice.message.refusal}`);
    if (choice.finish_reason === 'length')
      throw fail(`stopped at its token limit while writing the ${step.name}; the answer is incomplete`);
    if (choice.finish_reason === 'content_filter') throw fail(`withheld the ${step.name}: its content filter stopped the answer`);
    const content = choice.message.content;
    if (!content) throw fail(`answered the ${step.name} step with no content`);
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (cause) {
      throw fail(`answered the ${step.name} step with malformed JSON (${(cause as Error).message}): ${content.slice(0, 120)}`);
    }
    const problems = schemaErrors(value, step.schema);
    if (problems.length > 0)
      throw fail(`answered the ${step.name} step with JSON that does not match its schema: ${problems.slice(0, 5).join('; ')}`);

    const promptTokens = completion.usage?.prompt_tokens ?? 0;
    const completionTokens = completion.usage?.completion_tokens ?? 0;
    const price = tokenPrice(step.model);
    if (!price) ctx.log(`openai writer: no price known for model ${step.model}; its cost is recorded as 0`);
    const costUSD = price ? (promptTokens * price.input + completionTokens * price.output) / 1_000_000 : 0;
    ctx.log(`openai writer: ${step.name} with ${step.model}: ${promptTokens} prompt and ${completionTokens} completion tokens`);
    return { value: value as T, content, tokens: { promptTokens, completionTokens, costUSD } };
  }

  return {
    name: 'openai',

    async plan(ctx) {
      const connection = connect(ctx);
      const target = lengthTarget(ctx.channel, ctx.episode.spec);
      const { value, tokens } = await complete<RawPlan>(ctx, connection, {
        name: 'plan',
        model: planModel,
        messages: [
          { role: 'system', content: systemPrompt(ctx.channel) },
          { role: 'user', content: planPrompt(ctx.episode.spec, target) },
        ],
        schema: planSchema,
      });
      return produced(normalisePlan(value, target), [tokens]);
    },

    async script(ctx, plan) {
      const connection = connect(ctx);
      const target = lengthTarget(ctx.channel, ctx.episode.spec);
      const ids = plan.beats.map((beat) => beat.id);
      const { value, tokens } = await complete<{ beats: { id: string; narration: string }[] }>(ctx, connection, {
        name: 'script',
        model,
        messages: [
          { role: 'system', content: systemPrompt(ctx.channel) },
          { role: 'user', content: scriptPrompt(ctx.episode.spec, plan, target) },
        ],
        schema: scriptSchema(ids),
      });
      const beats = plan.beats.map((beat) => ({
        id: beat.id,
        heading: beat.heading,
        narration: narrationFor(value.beats, beat.id, 'script'),
        brollCues: beat.brollCues,
      }));
      return produced({ title: plan.title, beats, ...measureBeats(beats, target.wordsPerMinute) }, [tokens]);
    },

    async refine(ctx, script) {
      const connection = connect(ctx);
      const target = lengthTarget(ctx.channel, ctx.episode.spec);
      const ids = script.beats.map((beat) => beat.id);
      const messages: ChatCompletionMessageParam[] = [
        { role: 'system', content: systemPrompt(ctx.channel) },
        { role: 'user', content: refinePrompt(ctx.channel, script, target) },
      ];
      const spent: Tokens[] = [];
      let refined: Script;
      let notes: string[];
      for (let round = 0; ; round++) {
        const answer = await complete<{ beats: { id: string; narration: string }[]; notes: string[] }>(ctx, connection, {
          name: 'refine',
          model,
          messages,
          schema: refineSchema(ids),
        });
        spent.push(answer.tokens);
        const beats = script.beats.map((beat) => ({ ...beat, narration: narrationFor(answer.value.beats, beat.id, 'refined script') }));
        refined = { title: script.title, beats, ...measureBeats(beats, target.wordsPerMinute) };
        notes = answer.value.notes.map((note) => note.trim()).filter(Boolean);
        if (fitsLength(refined.wordCount, target) || round >= (options.lengthRetries ?? 1)) break;
        ctx.log(`openai writer: the refined script has ${describeLength(refined.wordCount, target)}; asking again`);
        messages.push({ role: 'assistant', content: answer.content }, { role: 'user', content: lengthCorrection(refined, target) });
      }
      const fits = fitsLength(refined.wordCount, target);
      notes.push(`Length: ${describeLength(refined.wordCount, target)}${fits ? '' : ', outside the ±10% the channel asks for'}.`);
      if (!fits) ctx.log(`openai writer: the refined script stays outside the target length: ${describeLength(refined.wordCount, target)}`);
      assertNoBannedTopic(refined, ctx.channel.persona.bannedTopics);
      const banned = ctx.channel.persona.bannedTopics ?? [];
      if (banned.length) notes.push(`Checked against ${banned.length} banned topic(s): none is mentioned.`);
      return produced<RefinedScript>({ ...refined, notes }, spent);
    },

    async metadata(ctx, script) {
      const connection = connect(ctx);
      const ids = script.beats.map((beat) => beat.id);
      const { value, tokens } = await complete<Omit<Metadata, 'language'>>(ctx, connection, {
        name: 'metadata',
        model,
        messages: [
          { role: 'system', content: systemPrompt(ctx.channel) },
          { role: 'user', content: metadataPrompt(ctx.episode.spec, script) },
        ],
        schema: metadataSchema(ids),
      });
      const metadata = enforceMetadataLimits(value, script, {
        language: ctx.channel.persona.language ?? 'en',
        references: ctx.episode.spec.references,
      });
      return produced(metadata, [tokens]);
    },
  };
}

function produced<T>(value: T, spent: Tokens[]): Produced<T> {
  const promptTokens = spent.reduce((sum, tokens) => sum + tokens.promptTokens, 0);
  const completionTokens = spent.reduce((sum, tokens) => sum + tokens.completionTokens, 0);
  const costUSD = spent.reduce((sum, tokens) => sum + tokens.costUSD, 0);
  return { value, usage: { promptTokens, completionTokens }, costUSD: Math.round(costUSD * 1_000_000) / 1_000_000 };
}

function narrationFor(beats: { id: string; narration: string }[], id: string, what: string): string {
  const narration = toSpeakable(beats.find((beat) => beat.id === id)?.narration ?? '');
  if (!narration) throw new ProviderError('OpenAI', 'bad-response', `OpenAI's ${what} has no narration for ${id}`);
  return narration;
}

// ---------------------------------------------------------------------------------------------
// Prompts

const SPOKEN_RULES =
  'Narration is read aloud by a speech synthesizer: write complete sentences of plain prose. ' +
  'No markdown, no lists, no bullet characters, no headings, no URLs, no emoji, no stage directions.';

export function systemPrompt(channel: ChannelSpec): string {
  const { persona } = channel;
  return [
    `You write for a YouTube channel presented by ${persona.name}.`,
    `Tone: ${persona.tone}.`,
    `Audience: ${persona.audience}.`,
    `Language: write every text in the language with BCP 47 tag "${persona.language ?? 'en'}".`,
    persona.styleGuide ? `Style guide:\n${persona.styleGuide.trim()}` : '',
    persona.bannedTopics?.length ? `Never mention these topics, not even in passing: ${persona.bannedTopics.join('; ')}.` : '',
    SPOKEN_RULES,
  ]
    .filter(Boolean)
    .join('\n');
}

function episodeBlock(episode: EpisodeSpec): string {
  return [
    `Topic: ${episode.topic}`,
    episode.brief ? `Brief:\n${episode.brief.trim()}` : '',
    episode.keyPoints?.length
      ? `Key points, in order:\n${episode.keyPoints.map((point, index) => `${index + 1}. ${point}`).join('\n')}`
      : '',
    episode.references?.length ? `References:\n${episode.references.map((ref) => `${ref.title ?? ref.url} (${ref.url})`).join('\n')}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

function lengthLine(target: LengthTarget): string {
  return `The episode lasts ${target.seconds} seconds: about ${target.words} spoken words at ${target.wordsPerMinute} words per minute (between ${target.minWords} and ${target.maxWords}).`;
}

export function planPrompt(episode: EpisodeSpec, target: LengthTarget): string {
  return [
    'Plan an episode.',
    episodeBlock(episode),
    lengthLine(target),
    'Beats, in order: an opening beat with the hook, then one beat per key point (when there are no key points, one per idea of the brief), then a closing beat with the outro. ' +
      `Give each beat its share of the duration in targetSeconds; together they make ${target.seconds}. ` +
      'Give each beat one to three B-roll cues a stock-footage search can find.',
  ].join('\n\n');
}

export function scriptPrompt(episode: EpisodeSpec, plan: Plan, target: LengthTarget): string {
  const beats = plan.beats.map((beat) => ({
    id: beat.id,
    heading: beat.heading,
    summary: beat.summary,
    points: beat.points,
    words: Math.round((beat.targetSeconds * target.wordsPerMinute) / 60),
  }));
  return [
    'Write the narration of every beat of this plan.',
    `Title: ${plan.title}\nHook: ${plan.hook}\nOutro: ${plan.outro}`,
    `Beats (words is the length each narration should have):\n${JSON.stringify(beats, null, 1)}`,
    episodeBlock(episode),
    lengthLine(target),
    'The first beat opens with the hook; the last beat ends with the outro.',
  ].join('\n\n');
}

export function refinePrompt(channel: ChannelSpec, script: Script, target: LengthTarget): string {
  const beats = script.beats.map((beat) => ({ id: beat.id, heading: beat.heading, narration: beat.narration }));
  return [
    `Revise this script as ${channel.persona.name}: apply the tone, the audience and the style guide, speak to the audience directly, ` +
      'and remove anything that touches a banned topic. Keep every beat and its id.',
    lengthLine(target),
    `The script now has ${describeLength(script.wordCount, target)}.`,
    `Script:\n${JSON.stringify(beats, null, 1)}`,
    'In notes, list what you changed, one short sentence each.',
  ].join('\n\n');
}

function lengthCorrection(script: Script, target: LengthTarget): string {
  const direction = script.wordCount > target.maxWords ? 'Shorten' : 'Lengthen';
  return `That script has ${describeLength(script.wordCount, target)}. ${direction} it to about ${target.words} words, keeping every beat, then answer again in the same form.`;
}

export function metadataPrompt(episode: EpisodeSpec, script: RefinedScript): string {
  const beats = script.beats.map((beat) => ({
    id: beat.id,
    heading: beat.heading,
    opening: beat.narration.split(/\s+/).slice(0, 50).join(' '),
  }));
  return [
    'Write the YouTube metadata of this episode.',
    `Title: ${script.title}`,
    `Beats:\n${JSON.stringify(beats, null, 1)}`,
    episodeBlock(episode),
    `Rules: the title at most ${METADATA_LIMITS.titleChars} characters; no angle brackets anywhere; a description of a few short paragraphs ` +
      `(sources and chapter times are added separately); 5 to 15 tags, together under 400 characters; one chapter per beat; ` +
      `thumbnailText at most ${METADATA_LIMITS.thumbnailWords} words.`,
  ].join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// The model's plan, made into a Plan the other stages can rely on

interface RawPlan {
  title: string;
  hook: string;
  beats: { heading: string; summary: string; points: string[]; brollCues: BrollCue[]; targetSeconds: number }[];
  outro: string;
}

/** Stable ids (beat-1, …), speakable hook and outro, at least one B-roll cue per beat, seconds that add up to the target. */
export function normalisePlan(raw: RawPlan, target: LengthTarget): Plan {
  if (raw.beats.length === 0) throw new ProviderError('OpenAI', 'bad-response', 'OpenAI answered the plan step with no beats');
  const seconds = shareSeconds(
    raw.beats.map((beat) => beat.targetSeconds),
    target.seconds,
  );
  const beats: PlanBeat[] = raw.beats.map((beat, index) => {
    const heading = headingOf(beat.heading.replace(/[#*_`<>]/g, '').trim(), 10) || `Part ${index + 1}`;
    const cues = beat.brollCues
      .map((cue) => ({ description: cue.description.trim(), keywords: cue.keywords.map((keyword) => keyword.trim()).filter(Boolean) }))
      .filter((cue) => cue.description);
    return {
      id: `beat-${index + 1}`,
      heading,
      summary: toSpeakable(beat.summary),
      points: beat.points.map((point) => point.trim()).filter(Boolean),
      brollCues: cues.length ? cues : [{ description: heading, keywords: keywordsOf(`${heading} ${beat.summary}`, 4) }],
      targetSeconds: seconds[index]!,
    };
  });
  return { title: raw.title.replace(/\s+/g, ' ').trim(), hook: toSpeakable(raw.hook), beats, outro: toSpeakable(raw.outro) };
}

/** Scales the model's shares so they add up to the total (equal shares when it gave none), to a tenth of a second. */
export function shareSeconds(shares: number[], total: number): number[] {
  const positive = shares.map((share) => (Number.isFinite(share) && share > 0 ? share : 0));
  const sum = positive.reduce((acc, share) => acc + share, 0);
  const scaled = positive.map((share) => Math.round((sum > 0 ? (share / sum) * total : total / shares.length) * 10) / 10);
  const drift = Math.round((total - scaled.reduce((acc, share) => acc + share, 0)) * 10) / 10;
  const largest = scaled.indexOf(Math.max(...scaled));
  scaled[largest] = Math.round((scaled[largest]! + drift) * 10) / 10;
  return scaled;
}
