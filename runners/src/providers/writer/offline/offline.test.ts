import { describe, expect, it } from 'vitest';
import { writerLanguageProblem, type ChannelSpec, type EpisodeSpec } from '@acog/api';
import { LANGUAGE_FIXTURES } from '../../../language/fixtures.ts';
import { phrasesFor, UnsupportedLanguageError } from '../../../language/index.ts';
import type { RefinedScript } from '../../../contract/documents.ts';
import { createOfflineWriter, narrateBrief } from './index.ts';
import { BannedTopicError, lengthTarget, metadataProblems, utf8Bytes } from '../rules.ts';
import { countWords, splitSentences, wordsOf } from '../text.ts';
import { exampleChannel, exampleEpisode } from '../../testing.ts';
import { richEpisode, testContext } from '../test-fixtures.ts';

const writer = createOfflineWriter();

async function writeAll(channel: ChannelSpec = exampleChannel(), episode: EpisodeSpec = exampleEpisode()) {
  const ctx = await testContext({ channel, episode });
  const plan = await writer.plan(ctx);
  const script = await writer.script(ctx, plan.value);
  const refined = await writer.refine(ctx, script.value);
  const metadata = await writer.metadata(ctx, refined.value);
  return { ctx, plan, script, refined, metadata };
}

function withDuration(seconds: number, episode = exampleEpisode()): EpisodeSpec {
  return { ...episode, overrides: { targetDurationSeconds: seconds } };
}

function allNarration(script: RefinedScript): string {
  return script.beats.map((beat) => beat.narration).join(' ');
}

describe('offline writer: plan', () => {
  it('has a hook beat, one beat per key point and an outro, each with B-roll cues', async () => {
    const ctx = await testContext();
    const { value: plan } = await writer.plan(ctx);
    const keyPoints = exampleEpisode().keyPoints!;
    expect(plan.beats.map((beat) => beat.id)).toEqual(['beat-1', 'beat-2', 'beat-3', 'beat-4', 'beat-5', 'beat-6']);
    expect(plan.beats.slice(1, -1).map((beat) => beat.points)).toEqual(keyPoints.map((point) => [point]));
    expect(plan.beats[0]!.summary).toBe(plan.hook);
    expect(plan.outro).toContain('Ada');
    expect(plan.title).toBe('How database indexes really work');
    for (const beat of plan.beats) {
      expect(beat.heading.length).toBeGreaterThan(0);
      expect(beat.brollCues.length).toBeGreaterThan(0);
      for (const cue of beat.brollCues) {
        expect(cue.description.length).toBeGreaterThan(10);
        expect(cue.keywords.length).toBeGreaterThan(0);
      }
    }
    expect(plan.beats[1]!.brollCues[0]!.description).toContain('full table scan');
    expect(plan.beats.reduce((sum, beat) => sum + beat.targetSeconds, 0)).toBeCloseTo(60, 5);
  });

  it('derives the beats from the brief when there are no key points', async () => {
    const episode: EpisodeSpec = { ...exampleEpisode(), keyPoints: [] };
    const ctx = await testContext({ episode });
    const { value: plan } = await writer.plan(ctx);
    const sentences = splitSentences(episode.brief!);
    expect(plan.beats).toHaveLength(sentences.length + 2);
    expect(plan.beats[1]!.summary).toBe("Let's start from a slow query on a table of ten million orders.");
  });

  it('writes about the topic alone when there is neither brief nor key points', async () => {
    const episode: EpisodeSpec = { channelRef: { name: 'engineering-explained' }, topic: 'Why your cache makes things slower' };
    const { refined } = await writeAll(exampleChannel(), episode);
    expect(refined.value.beats.length).toBe(5);
    expect(allNarration(refined.value)).toContain('why your cache makes things slower');
  });
});

describe('offline writer: determinism', () => {
  it('writes the same documents for the same input', async () => {
    const first = await writeAll();
    const second = await writeAll();
    expect(second.plan.value).toEqual(first.plan.value);
    expect(second.script.value).toEqual(first.script.value);
    expect(second.refined.value).toEqual(first.refined.value);
    expect(second.metadata.value).toEqual(first.metadata.value);
  });

  it('varies with the input', async () => {
    const first = await writeAll(exampleChannel(), withDuration(120));
    const episode = { ...withDuration(120), topic: 'How database indexes work in practice' };
    const second = await writeAll(exampleChannel(), episode);
    expect(second.script.value.beats.map((beat) => beat.narration)).not.toEqual(first.script.value.beats.map((beat) => beat.narration));
  });
});

describe('offline writer: length fit', () => {
  for (const [seconds, episode] of [
    [30, exampleEpisode()],
    [60, exampleEpisode()],
    [120, exampleEpisode()],
    [480, richEpisode()],
  ] as const) {
    it(`fits a ${seconds} s target within ±10% at the channel's words per minute`, async () => {
      const { script, refined } = await writeAll(exampleChannel(), withDuration(seconds, episode));
      const words = (seconds * 150) / 60;
      for (const document of [script.value, refined.value]) {
        expect(document.wordCount).toBe(countWords(allNarration(document as RefinedScript)));
        expect(Math.abs(document.wordCount - words) / words).toBeLessThanOrEqual(0.1);
        expect(Math.abs(document.estimatedSeconds - seconds) / seconds).toBeLessThanOrEqual(0.1);
      }
      expect(refined.usage).toEqual({ words: refined.value.wordCount });
      expect(refined.costUSD).toBe(0);
    });
  }

  it('uses the channel format duration and words per minute (150 when unset)', async () => {
    const channel = exampleChannel();
    channel.format = { ...channel.format, targetDurationSeconds: 90, wordsPerMinute: undefined };
    const episode = { ...exampleEpisode(), overrides: undefined };
    const { refined } = await writeAll(channel, episode);
    expect(Math.abs(refined.value.wordCount - 225) / 225).toBeLessThanOrEqual(0.1);

    channel.format = { ...channel.format, wordsPerMinute: 120 };
    const slower = await writeAll(channel, episode);
    expect(Math.abs(slower.refined.value.wordCount - 180) / 180).toBeLessThanOrEqual(0.1);
    expect(Math.abs(slower.refined.value.estimatedSeconds - 90) / 90).toBeLessThanOrEqual(0.1);
  });

  it('refuses a target its material cannot fill without filler, saying what to add', async () => {
    const ctx = await testContext({ episode: withDuration(480) });
    const { value: plan } = await writer.plan(ctx);
    await expect(writer.script(ctx, plan)).rejects.toThrow(
      /there is not enough material for this length .*480 s target.*Add key points or sentences to the brief, or lower targetDurationSeconds/,
    );
  });

  it('fits the script to the rate the voice speaks: words per minute times voice.speed', async () => {
    const channel = exampleChannel();
    channel.format = { ...channel.format, targetDurationSeconds: 120, wordsPerMinute: 150 };
    channel.providers = { ...channel.providers, voice: { provider: 'espeak', speed: 1.1 } };
    const episode = { ...exampleEpisode(), overrides: undefined };
    const faster = await writeAll(channel, episode);
    expect(lengthTarget(channel, episode)).toMatchObject({ wordsPerMinute: 165, words: 330 });
    expect(Math.abs(faster.refined.value.wordCount - 330) / 330).toBeLessThanOrEqual(0.1);
    expect(Math.abs(faster.refined.value.estimatedSeconds - 120) / 120).toBeLessThanOrEqual(0.1);
    // An Episode's voice override is the voice that speaks.
    const slower = { ...episode, overrides: { providers: { voice: { provider: 'espeak' as const, speed: 0.8 } } } };
    expect(lengthTarget(channel, slower)).toMatchObject({ wordsPerMinute: 120, words: 240 });
  });

  it('says clearly when the key points cannot fit the target', async () => {
    const ctx = await testContext({ episode: withDuration(15) });
    const { value: plan } = await writer.plan(ctx);
    await expect(writer.script(ctx, plan)).rejects.toThrow(
      /cannot fit the script to the target length: the hook, the key points and the outro alone are too long/,
    );
  });

  it('trims a script that is too long and lengthens one that is too short', async () => {
    const ctx = await testContext();
    const { value: plan } = await writer.plan(ctx);
    const { value: script } = await writer.script(ctx, plan);
    const long = { ...script, beats: script.beats.map((beat) => ({ ...beat, narration: `${beat.narration} ${beat.narration}` })) };
    const trimmed = await writer.refine(ctx, long);
    expect(trimmed.value.wordCount).toBeLessThanOrEqual(165);
    expect(trimmed.value.notes.join(' ')).toMatch(/Trimmed \d+ sentences?/);

    const short = { ...script, beats: script.beats.map((beat) => ({ ...beat, narration: splitSentences(beat.narration)[0]! })) };
    const lengthened = await writer.refine(ctx, short);
    expect(lengthened.value.wordCount).toBeGreaterThanOrEqual(135);
    expect(lengthened.value.notes.join(' ')).toMatch(/Added \d+ sentences? to reach the target length/);
  });
});

describe('offline writer: narration', () => {
  it('is plain prose a speech synthesizer reads well', async () => {
    for (const [seconds, episode] of [
      [30, exampleEpisode()],
      [480, richEpisode()],
    ] as const) {
      const { refined } = await writeAll(exampleChannel(), withDuration(seconds, episode));
      for (const beat of refined.value.beats) {
        expect(beat.narration).not.toMatch(/[*#_`•<>[\]{}|]|https?:|^\s*[-–]\s|\n/u);
        for (const sentence of splitSentences(beat.narration)) {
          expect(sentence).toMatch(/^[\p{Lu}"'“‘\d]/u);
          expect(sentence).toMatch(/[.!?]$/);
        }
      }
    }
  });

  it('speaks as the persona and to its audience, and ends with the presenter', async () => {
    const { refined } = await writeAll();
    const narration = allNarration(refined.value);
    expect(narration).toContain('Ada');
    expect(narration).toContain('working developers who want the idea behind a tool');
    expect(refined.value.beats.at(-1)!.narration).toMatch(/I'm Ada/);
  });

  it('adds the persona line to a script without it and says so', async () => {
    const ctx = await testContext();
    const { value: plan } = await writer.plan(ctx);
    const { value: script } = await writer.script(ctx, plan);
    const bare = {
      ...script,
      beats: script.beats.map((beat) => ({
        ...beat,
        narration:
          splitSentences(beat.narration)
            .filter((sentence) => !/Ada|working developers/.test(sentence))
            .join(' ') || 'Thanks for watching.',
      })),
    };
    const refined = await writer.refine(ctx, bare);
    expect(refined.value.beats[0]!.narration).toContain("I'm Ada, and this one is for working developers");
    expect(refined.value.notes[0]).toMatch(/so that Ada introduces the episode/);
  });

  it('turns a brief written to the writer into spoken sentences', () => {
    expect(narrateBrief('Show why a full scan is slow.')).toBe("Let's see why a full scan is slow.");
    expect(narrateBrief('Finish with the cost of indexes on writes')).toBe("Let's finish with the cost of indexes on writes.");
    expect(narrateBrief('Most teams index too much.')).toBe('Most teams index too much.');
    expect(narrateBrief('Describe how the viewer can measure it.')).toBe("Let's look at how you can measure it.");
  });
});

describe('offline writer: banned topics', () => {
  it('refuses a script that mentions a banned topic, naming the topic and the beat', async () => {
    const episode = {
      ...exampleEpisode(),
      keyPoints: [...exampleEpisode().keyPoints!.slice(0, 2), 'Indexes became a matter of Politics in the team'],
    };
    const ctx = await testContext({ episode });
    const { value: plan } = await writer.plan(ctx);
    const { value: script } = await writer.script(ctx, plan);
    const refusal = writer.refine(ctx, script);
    await expect(refusal).rejects.toBeInstanceOf(BannedTopicError);
    await expect(refusal).rejects.toThrow(
      /banned topic "politics" in beat beat-4 \("Indexes became a matter of Politics"\): "Indexes became a matter of Politics in the team."/,
    );
  });

  it('matches whole words only', async () => {
    const episode = { ...exampleEpisode(), keyPoints: ['Geopolitics shapes where data centres are built'] };
    const { refined } = await writeAll(exampleChannel(), episode);
    expect(allNarration(refined.value)).toContain('Geopolitics');
    expect(refined.value.notes.at(-1)).toMatch(/Checked against 2 banned topic\(s\): none is mentioned/);
  });

  it('matches a banned phrase across case and line breaks', async () => {
    const ctx = await testContext();
    const script = {
      title: 'Markets',
      wordCount: 0,
      estimatedSeconds: 0,
      beats: [
        { id: 'beat-1', heading: 'Intro', narration: 'Today we look at markets.', brollCues: [] },
        { id: 'beat-2', heading: 'Hype', narration: 'Some people love Cryptocurrency\nPrice Predictions more than sleep.', brollCues: [] },
      ],
    };
    await expect(writer.refine(ctx, script)).rejects.toThrow(/"cryptocurrency price predictions" in beat beat-2 \("Hype"\)/);
  });
});

describe('offline writer: metadata', () => {
  it('keeps every YouTube limit and one chapter per beat', async () => {
    const { refined, metadata } = await writeAll();
    const ids = refined.value.beats.map((beat) => beat.id);
    expect(metadataProblems(metadata.value, ids)).toEqual([]);
    expect(metadata.value.chapters.map((chapter) => chapter.title)).toEqual(refined.value.beats.map((beat) => beat.heading));
    // The publisher adds the sources, once (publisher/description.test.ts).
    expect(metadata.value.description).not.toMatch(/Sources:|use-the-index-luke/);
    expect(metadata.value.thumbnailText).toBe('How database indexes really work');
    expect(metadata.value.language).toBe('en');
    expect(metadata.value.tags).toContain('B-tree');
    expect(metadata.value.tags.map((tag) => tag.toLowerCase())).not.toContain('ada');
  });

  it('keeps the limits with a very long topic, angle brackets and many references', async () => {
    const channel = exampleChannel();
    channel.persona = { ...channel.persona, language: 'en-GB' };
    const episode: EpisodeSpec = {
      ...exampleEpisode(),
      topic: `Why <select> beats <input> when a form has more than one hundred options and the users are in a hurry to get to the next step of the checkout`,
      keyPoints: ['A <select> keeps the choices in one place', 'Typing -> filtering is faster than scrolling'],
      references: Array.from({ length: 50 }, (_, index) => ({
        title: `Reference number ${index + 1} with a long descriptive title about forms, selects and inputs — ünïcödé`,
        url: `https://example.com/a/rather/long/path/to/reference/${index + 1}`,
      })),
    };
    const { refined, metadata } = await writeAll(channel, withDuration(120, episode));
    const value = metadata.value;
    expect(
      metadataProblems(
        value,
        refined.value.beats.map((beat) => beat.id),
      ),
    ).toEqual([]);
    expect([...value.title].length).toBeLessThanOrEqual(100);
    expect(utf8Bytes(value.description)).toBeLessThanOrEqual(5000);
    expect(value.title + value.description).not.toMatch(/[<>]/);
    expect(value.thumbnailText.split(/\s+/).length).toBeLessThanOrEqual(5);
    expect(value.language).toBe('en-GB');
  });

  it('counts its words as usage and costs nothing', async () => {
    const { metadata, plan } = await writeAll();
    expect(metadata.costUSD).toBe(0);
    expect(metadata.usage.words).toBeGreaterThan(20);
    expect(plan.usage.words).toBeGreaterThan(20);
  });
});

/** Letters and digits only, lower-cased: how repetition is compared. */
const plain = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/** How often `part` occurs in `text`, both compared as plain words. */
function occurrences(text: string, part: string): number {
  return ` ${plain(text)} `.split(` ${plain(part)} `).length - 1;
}

/** A RegExp matching what a keyword line says, capturing the keyword. */
function lineMatcher(line: (keyword: string) => string): RegExp {
  const [before, after] = line('\u0000').split('\u0000') as [string, string];
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escape(before)}(.+?)${escape(after)}$`, 'u');
}

describe('offline writer: no repetition, no filler', () => {
  const cases = [
    ['the 60 s example', exampleEpisode(), 60],
    ['the example at 120 s', exampleEpisode(), 120],
    ['the example at 180 s', exampleEpisode(), 180],
    ['a rich episode at 480 s', richEpisode(), 480],
  ] as const;

  for (const [name, episode, seconds] of cases) {
    it(`says no sentence of the brief and no key point twice, and no sentence twice at all: ${name}`, async () => {
      const { script, refined } = await writeAll(exampleChannel(), withDuration(seconds, episode));
      for (const document of [script.value, refined.value]) {
        const narration = allNarration(document as RefinedScript);
        const ownSentences = [...splitSentences(episode.brief!).map((sentence) => narrateBrief(sentence)), ...episode.keyPoints!];
        for (const sentence of ownSentences) expect(occurrences(narration, sentence), sentence).toBeLessThanOrEqual(1);
        const sentences = splitSentences(narration).map(plain);
        expect(sentences.filter((sentence, index) => sentences.indexOf(sentence) !== index)).toEqual([]);
      }
    });

    it(`adds no line without content, and writes about each keyword once: ${name}`, async () => {
      const { refined } = await writeAll(exampleChannel(), withDuration(seconds, episode));
      const phrases = phrasesFor('en');
      const source = [
        episode.topic,
        episode.brief,
        ...episode.keyPoints!,
        ...episode.references!.map((ref) => ref.title),
        exampleChannel().persona.name,
        exampleChannel().persona.audience,
      ].join(' ');
      const contentWords = new Set(
        wordsOf(source)
          .map((word) => word.toLowerCase())
          .filter((word) => word.length >= 3 && !phrases.stopwords.has(word)),
      );
      const keywordLines = phrases.pointLines.map(lineMatcher);
      const written: string[] = [];
      for (const beat of refined.value.beats.slice(1, -1)) {
        for (const sentence of splitSentences(beat.narration)) {
          const named = wordsOf(sentence).filter((word) => contentWords.has(word.toLowerCase()));
          expect(named, `"${sentence}" names nothing of the episode`).not.toEqual([]);
          const keyword = keywordLines.map((matcher) => matcher.exec(sentence)?.[1]).find(Boolean);
          if (keyword) written.push(keyword.toLowerCase());
        }
      }
      expect(written.filter((keyword, index) => written.indexOf(keyword) !== index)).toEqual([]);
      for (const filler of ['Hold on to that.', 'Keep that in mind.', 'That is the core of it.', 'Everything in this part comes back to'])
        expect(allNarration(refined.value)).not.toContain(filler);
    });
  }
});

describe('offline writer: the Channel language', () => {
  for (const [language, fixture] of Object.entries(LANGUAGE_FIXTURES)) {
    const phrases = phrasesFor(language);
    const channelIn = (tag: string): ChannelSpec => {
      const channel = exampleChannel();
      channel.persona = { ...channel.persona, ...fixture.persona, language: tag, bannedTopics: [] };
      return channel;
    };
    const episode = (seconds: number): EpisodeSpec => ({
      channelRef: { name: 'engineering-explained' },
      ...fixture.episode,
      overrides: { targetDurationSeconds: seconds },
    });

    it(`writes ${language} around ${language} content: headings, hook, outro, description, fitted to the length`, async () => {
      for (const seconds of [60, 120]) {
        const { plan, refined, metadata } = await writeAll(channelIn(language), episode(seconds));
        const narration = allNarration(refined.value);
        expect(plan.value.beats[0]!.heading).toBe(phrases.headings.intro);
        expect(plan.value.beats.at(-1)!.heading).toBe(phrases.headings.outro);
        const outros = phrases.outros.map((outro) => outro(fixture.persona.name));
        expect(outros).toContain(plan.value.outro);
        expect(narration.endsWith(plan.value.outro)).toBe(true);
        expect(narration).toContain(fixture.persona.name);
        const words = (seconds * 150) / 60;
        expect(Math.abs(refined.value.wordCount - words) / words).toBeLessThanOrEqual(0.1);
        expect(metadata.value.description).toContain(phrases.description.learn);
        expect(metadata.value.description).toContain(phrases.description.presentedBy(fixture.persona.name, fixture.persona.audience));
        expect(metadata.value.chapters[0]!.title).toBe(phrases.headings.intro);
        expect(metadata.value.language).toBe(language);
        // Not one English phrase of the writer's.
        const english = [
          ...['Introduction', 'Wrap-up', 'Thanks for watching', "I'm ", 'This one is for', 'What you will learn', 'Presented by'],
          ...['Picture the last time', 'A common mistake', 'Next up', 'That brings us to', 'To recap', "Let's", 'Along the way'],
        ].filter((phrase) => language !== 'fr' || phrase !== 'Introduction');
        for (const phrase of english) {
          expect(narration, phrase).not.toContain(phrase);
          expect(metadata.value.description, phrase).not.toContain(phrase);
        }
      }
    });

    it(`says each ${language} key point and brief sentence once, and resolves regional tags`, async () => {
      const { refined } = await writeAll(channelIn(language), episode(120));
      const narration = allNarration(refined.value);
      for (const point of fixture.episode.keyPoints!) expect(occurrences(narration, point), point).toBe(1);
      const sentences = splitSentences(narration).map(plain);
      expect(sentences.filter((sentence, index) => sentences.indexOf(sentence) !== index)).toEqual([]);
      const regional = { de: 'de-AT', es: 'es-MX', fr: 'fr-CA', pt: 'pt-BR', it: 'it-CH' }[language]!;
      const other = await writeAll(channelIn(regional), episode(120));
      expect(other.plan.value.beats.map((beat) => beat.heading)).toEqual(
        (await writeAll(channelIn(language), episode(120))).plan.value.beats.map((beat) => beat.heading),
      );
      expect(other.metadata.value.language).toBe(regional);
    });
  }

  it('turns a brief written to the writer into what the presenter says, in each language', () => {
    expect(narrateBrief('Zeige, dass eine SSD keine beweglichen Teile hat.', phrasesFor('de'))).toBe(
      'Wir sehen, dass eine SSD keine beweglichen Teile hat.',
    );
    expect(narrateBrief('Explica cómo se mueve el cabezal', phrasesFor('es'))).toBe('Veamos cómo se mueve el cabezal.');
    expect(narrateBrief('Commencez par un exemple.', phrasesFor('fr'))).toBe('Commençons par un exemple.');
    expect(narrateBrief('Um SSD não tem partes móveis.', phrasesFor('pt'))).toBe('Um SSD não tem partes móveis.');
  });

  it('refuses a language it has no text for before any work, naming the field and the languages it has', async () => {
    for (const tag of ['ja', 'nl-BE']) {
      const channel = exampleChannel();
      channel.persona = { ...channel.persona, language: tag };
      const ctx = await testContext({ channel });
      const refusal = writer.plan(ctx);
      await expect(refusal).rejects.toBeInstanceOf(UnsupportedLanguageError);
      await expect(refusal).rejects.toThrow(
        `persona.language: the offline writer has no text for "${tag}"; it writes en, de, es, fr, pt, it (regional tags such as de-DE or pt-BR resolve to their language)`,
      );
      expect(writerLanguageProblem(channel)).toMatch(/^persona\.language: the offline writer has no text for/);
      // A Channel whose writer is a model is not held to the offline writer's languages.
      expect(writerLanguageProblem({ ...channel, providers: { llm: { provider: 'openai', secretRef: { name: 'ai' } } } })).toBeUndefined();
    }
  });
});
