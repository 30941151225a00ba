// The nine stages: each reads its upstream documents, calls the provider its Channel (or the
// Episode's override) names, and hands back the files to store.
import { mkdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BUCKETS,
  heygenCallbackUrl,
  heygenWebhookSubject,
  natsAuth,
  natsInboxPrefix,
  overrideProblems,
  type ChannelSpec,
  type Providers,
  type StageName,
} from '@acog/api';
import type { AvatarDrawing, BrollManifest, Metadata, Narration, Plan, RefinedScript, Script } from '../contract/documents.ts';
import { StageFailure, type StageContext, type StageImplementation, type StageOutput } from '../contract/run-stage.ts';
import { waitForWebhook } from '../events/webhooks.ts';
import { assembleEpisode, type AssembleProgress } from '../media/assemble.ts';
import { createAvatar } from '../providers/avatar/index.ts';
import { audiogramDrawer, checkAvatarDrawing } from '../providers/avatar/audiogram.ts';
import { createBrollSource } from '../providers/broll/index.ts';
import { OWN_MEDIA_PROVIDER, OwnMediaError, ownMediaClips, ownMediaSummary } from '../providers/broll/own-media.ts';
import { probe } from '../media/ffmpeg.ts';
import { narrationWordsPerMinute } from '../providers/writer/rules.ts';
import { motionClipDrawer } from '../providers/broll/motion-graphics.ts';
import { frameSize } from '../media/frame.ts';
import type { GraphAvatarDrawing } from '../media/filter-graph.ts';
import { createPublisher, type PublisherOptions } from '../providers/publisher/index.ts';
import type { Produced, ProviderContext } from '../providers/types.ts';
import { createVoice } from '../providers/voice/index.ts';
import { createWriter, type OpenAiWriterOptions } from '../providers/writer/index.ts';
import {
  checkOwnScript,
  hasOwnScript,
  OWN_SCRIPT_PROVIDER,
  ownScriptDocument,
  ownScriptPlan,
  type WithScript,
} from '../providers/writer/own-script.ts';

/** The provider of a capability: the Episode's override, else the Channel's. */
export function providerSpec<K extends keyof Providers>(ctx: StageContext, capability: K): Providers[K] {
  return ctx.input.episode.spec.overrides?.providers?.[capability] ?? ctx.input.channel.spec.providers?.[capability];
}

export function skippedStages(ctx: StageContext): Set<StageName> {
  return new Set([...(ctx.input.channel.spec.skipStages ?? []), ...(ctx.input.episode.spec.overrides?.skipStages ?? [])]);
}

/**
 * What a provider gets. With `images` (the local copies of the Channel's images the stage fetched
 * and checked), format.images names those copies: a provider never reads a Channel's URI itself.
 */
export function providerContext(ctx: StageContext, images?: string[]): ProviderContext {
  const { input } = ctx;
  const channel = input.channel.spec;
  return {
    workdir: ctx.workdir,
    channel: images ? { ...channel, format: { ...channel.format, images: images.map((path) => pathToFileURL(path).href) } } : channel,
    episode: { name: input.episode.name, namespace: input.episode.namespace, uid: input.episode.uid, spec: input.episode.spec },
    env: ctx.env,
    log: ctx.log,
    signal: ctx.signal,
    state: ctx.state,
    namespaceState: ctx.namespaceState,
  };
}

/** The format with the Episode's duration override applied. */
function effectiveFormat(ctx: StageContext): ChannelSpec['format'] {
  const format = ctx.input.channel.spec.format;
  const duration = ctx.input.episode.spec.overrides?.targetDurationSeconds;
  return duration ? { ...format, targetDurationSeconds: duration } : format;
}

function writerContext(ctx: StageContext): ProviderContext {
  const base = providerContext(ctx);
  return { ...base, channel: { ...base.channel, format: effectiveFormat(ctx) } };
}

/** The output of a stage whose provider produced one document: it is stored as the JSON file `name`. */
async function documentOutput(ctx: StageContext, provider: string, name: string, produced: Produced<unknown>): Promise<StageOutput> {
  return { provider, files: { [name]: await ctx.writeJson(name, produced.value) }, usage: produced.usage, costUSD: produced.costUSD };
}

/**
 * The writer's options: a base URL that the Episode names and its Channel does not allow (neither
 * its own nor in spec.episodeOverrides.baseURLs) is reached only at public addresses (the network
 * policy). The operator holds such an Episode before any stage; this is the runner's own guard.
 */
function writerOptions(ctx: StageContext): OpenAiWriterOptions {
  const problems = overrideProblems(ctx.input.channel.spec, ctx.input.episode.spec);
  return problems.some((problem) => problem.field === 'spec.overrides.providers.llm.baseURL') ? { checkAddresses: true } : {};
}

function writerFor(ctx: StageContext) {
  return createWriter(providerSpec(ctx, 'llm'), writerOptions(ctx));
}

/** A document the stage made itself from spec.script, without a provider: free. */
async function ownScriptOutput(ctx: StageContext, name: string, value: unknown): Promise<StageOutput> {
  return documentOutput(ctx, OWN_SCRIPT_PROVIDER, name, { value, usage: {}, costUSD: 0 });
}

const plan: StageImplementation = async (ctx) => {
  const { channel, episode } = ctx.input;
  if (hasOwnScript(episode.spec)) return ownScriptOutput(ctx, 'plan.json', ownScriptPlan(channel.spec, episode.spec));
  const writer = writerFor(ctx);
  const produced = await writer.plan(writerContext(ctx));
  return documentOutput(ctx, writer.name, 'plan.json', produced);
};

const script: StageImplementation = async (ctx) => {
  const { channel, episode } = ctx.input;
  if (hasOwnScript(episode.spec)) return ownScriptOutput(ctx, 'script.json', ownScriptDocument(channel.spec, episode.spec));
  const writer = writerFor(ctx);
  const produced = await writer.script(writerContext(ctx), await ctx.readJson<Plan>('plan', 'plan.json'));
  if (!produced.value.beats.some((beat) => beat.narration.trim())) throw new StageFailure('the writer returned an empty script');
  return documentOutput(ctx, writer.name, 'script.json', produced);
};

/** The script the later stages read: the refined one, or the plain script when refine is skipped. */
async function finalScript(ctx: StageContext): Promise<RefinedScript> {
  if (ctx.input.upstream.refine) return ctx.readJson<RefinedScript>('refine', 'refined.json');
  return { ...(await ctx.readJson<Script>('script', 'script.json')), notes: [] };
}

/** spec.script checked as refine checks it (banned topics fail, the length is a note); the notes are logged. */
function checkedOwnScript(ctx: StageContext, episode: WithScript): RefinedScript {
  const checked = checkOwnScript(ctx.input.channel.spec, episode);
  for (const note of checked.notes) ctx.log(note);
  return checked;
}

const refine: StageImplementation = async (ctx) => {
  const { episode } = ctx.input;
  if (hasOwnScript(episode.spec)) return ownScriptOutput(ctx, 'refined.json', checkedOwnScript(ctx, episode.spec));
  const writer = writerFor(ctx);
  const input = await ctx.readJson<Script>('script', 'script.json');
  if (!input.beats?.some((beat) => beat.narration?.trim()))
    throw new StageFailure('empty script: the script stage produced no narration to refine');
  const produced = await writer.refine(writerContext(ctx), input);
  return documentOutput(ctx, writer.name, 'refined.json', produced);
};

const metadata: StageImplementation = async (ctx) => {
  const writer = writerFor(ctx);
  const produced = await writer.metadata(writerContext(ctx), await finalScript(ctx));
  return documentOutput(ctx, writer.name, 'metadata.json', produced);
};

const voice: StageImplementation = async (ctx) => {
  // spec.script's words are voice's own input (api/src/stage-inputs.ts): an edit after refine ran
  // is spoken as written and checked here as refine checks it.
  const { episode } = ctx.input;
  const text = hasOwnScript(episode.spec) ? checkedOwnScript(ctx, episode.spec) : await finalScript(ctx);
  if (!text.beats.some((beat) => beat.narration.trim())) throw new StageFailure('empty script: there is nothing to speak');
  const provider = createVoice(providerSpec(ctx, 'voice'));
  const produced = await provider.synthesize(providerContext(ctx), text);
  const narration = produced.value;
  return {
    provider: narration.spokenBy ?? provider.name,
    files: { [narration.audio]: join(ctx.workdir, narration.audio), 'narration.json': await ctx.writeJson('narration.json', narration) },
    usage: produced.usage,
    costUSD: produced.costUSD,
  };
};

async function narrationWithAudio(ctx: StageContext): Promise<{ narration: Narration; audioPath: string }> {
  const narration = await ctx.readJson<Narration>('voice', 'narration.json');
  return { narration, audioPath: await ctx.fetch('voice', narration.audio) };
}

const avatar: StageImplementation = async (ctx) => {
  const { narration, audioPath } = await narrationWithAudio(ctx);
  const images = await channelImages(ctx);
  // HeyGen calls back through the console's gateway, which relays each delivery on NATS: a wake-up
  // after which the provider reads the status. Without either, the provider polls.
  const natsUrl = ctx.env.ACOG_NATS_URL;
  const namespace = ctx.input.episode.namespace;
  const stopWaiting = new AbortController();
  const provider = createAvatar(providerSpec(ctx, 'avatar'), {
    imagePath: images[0],
    callbackUrl: heygenCallbackUrl(ctx.env.ACOG_HEYGEN_CALLBACK_URL, namespace),
    ...(natsUrl && {
      waitForCallback: (videoId: string, afterSeq?: number) =>
        waitForWebhook(natsUrl, heygenWebhookSubject(namespace, videoId), stopWaiting.signal, {
          auth: natsAuth(ctx.env),
          inboxPrefix: natsInboxPrefix(namespace),
          afterSeq,
        }),
    }),
  });
  const produced = await provider.render(providerContext(ctx, images), narration, audioPath).finally(() => stopWaiting.abort());
  const { value } = produced;
  // The offline audiogram hands over a drawing and its stills, drawn by the assembly; other providers a video.
  const files: Record<string, string> =
    'drawing' in value
      ? {
          [AVATAR_DRAWING]: await ctx.writeJson(AVATAR_DRAWING, value.drawing),
          [value.drawing.background]: join(ctx.workdir, value.drawing.background),
          [value.drawing.portrait]: join(ctx.workdir, value.drawing.portrait),
        }
      : { [AVATAR_VIDEO]: join(ctx.workdir, value.file) };
  return { provider: provider.name, files, usage: produced.usage, costUSD: produced.costUSD };
};

const AVATAR_VIDEO = 'avatar.mp4';
const AVATAR_DRAWING = 'avatar.json';

/** The presenter the assembly shows: the avatar stage's drawing (drawn in the assembly's graph) or its video; none when it is skipped. */
async function presenter(ctx: StageContext): Promise<{ avatarPath?: string; avatarDrawing?: GraphAvatarDrawing }> {
  if (skippedStages(ctx).has('avatar')) return {};
  const artifacts = ctx.input.upstream.avatar?.artifacts ?? {};
  if (!Object.hasOwn(artifacts, AVATAR_DRAWING)) return { avatarPath: await ctx.fetch('avatar', AVATAR_VIDEO) };
  const value = await ctx.readJson<unknown>('avatar', AVATAR_DRAWING);
  const field = `avatar ${AVATAR_DRAWING}`;
  let drawing: AvatarDrawing;
  try {
    drawing = checkAvatarDrawing(value, field);
  } catch (error) {
    throw new StageFailure(`the avatar drawing is malformed: ${(error as Error).message}`);
  }
  const [background, portrait] = await Promise.all([ctx.fetch('avatar', drawing.background), ctx.fetch('avatar', drawing.portrait)]);
  const avatarDrawing = await audiogramDrawer(drawing, { background, portrait }, join(ctx.workdir, 'audiogram-name.txt'));
  return { avatarPath: background, avatarDrawing };
}

/** Extensions a fetched media file keeps; any other (.m3u8, say) is replaced: ffmpeg reads by content, the name only helps people. */
const MEDIA_EXTENSIONS = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.gif',
  '.mp3',
  '.m4a',
  '.aac',
  '.wav',
  '.ogg',
  '.opus',
  '.flac',
  '.mp4',
  '.mov',
  '.webm',
  '.mkv',
]);

/** `base` with the URI's extension when it is a media extension, else `fallback`. */
export function mediaFileName(base: string, uri: string, fallback: string): string {
  const extension = URL.canParse(uri) ? extname(new URL(uri).pathname).toLowerCase() : '';
  return `${base}${MEDIA_EXTENSIONS.has(extension) ? extension : fallback}`;
}

/**
 * The Channel's images, fetched and checked (ctx.download); their local paths in order. Every URI
 * is checked before any is fetched, and a failed fetch waits for the others to end.
 */
async function channelImages(ctx: StageContext): Promise<string[]> {
  const images = ctx.input.channel.spec.format.images ?? [];
  const field = (i: number) => `spec.format.images[${i}]`;
  images.forEach((uri, i) => ctx.checkUri('media', field(i), uri));
  const fetched = await Promise.allSettled(images.map((uri, i) => ctx.download(uri, mediaFileName(`image-${i}`, uri, '.png'), field(i))));
  const failed = fetched.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return fetched.map((outcome) => (outcome as PromiseFulfilledResult<string>).value);
}

const broll: StageImplementation = async (ctx) => {
  const text = await finalScript(ctx);
  // spec.media first: a beat with the person's own clips or images is not asked of any provider.
  const own = await ownMediaClips(
    { workdir: ctx.workdir, download: ctx.download, probe: (path) => probe(path, { signal: ctx.signal }) },
    ctx.input.episode.spec.media ?? [],
    text,
    narrationWordsPerMinute(ctx.input.channel.spec, ctx.input.episode.spec),
  ).catch((error: Error) => {
    throw error instanceof OwnMediaError ? new StageFailure(error.message) : error;
  });
  const ownMediaBeats = [...new Set(own.map((clip) => clip.beatId))];
  const askProvider = ownMediaBeats.length < text.beats.length;
  const images = askProvider ? await channelImages(ctx) : [];
  const source = createBrollSource(providerSpec(ctx, 'broll'), { imagePaths: images });
  const produced: Produced<BrollManifest> = askProvider
    ? await source.clips(providerContext(ctx, images), { ...text, ownMediaBeats })
    : { value: { clips: [] }, usage: {}, costUSD: 0 };
  const manifest: BrollManifest = {
    clips: text.beats.flatMap((beat) => [...own, ...produced.value.clips].filter((clip) => clip.beatId === beat.id)),
  };
  const files: Record<string, string> = Object.fromEntries([
    ['broll.json', await ctx.writeJson('broll.json', manifest)],
    ...manifest.clips.map((clip) => [clip.file, join(ctx.workdir, clip.file)]),
  ]);
  const provider = !askProvider ? OWN_MEDIA_PROVIDER : own.length > 0 ? `${OWN_MEDIA_PROVIDER}+${source.name}` : source.name;
  return { provider, files, usage: produced.usage, costUSD: produced.costUSD, message: ownMediaSummary(own) };
};

const assemble: StageImplementation = async (ctx) => {
  const skipped = skippedStages(ctx);
  const format = effectiveFormat(ctx);
  const text = await finalScript(ctx);
  const meta = skipped.has('metadata') ? undefined : await ctx.readJson<Metadata>('metadata', 'metadata.json');
  const { narration, audioPath } = await narrationWithAudio(ctx);
  const { avatarPath, avatarDrawing } = await presenter(ctx);
  const manifest = skipped.has('broll') ? { clips: [] } : await ctx.readJson<BrollManifest>('broll', 'broll.json');
  // The offline B-roll hands over drawings, drawn here inside the assembly's own graph over their stills.
  const drawings = join(ctx.workdir, 'drawings');
  if (manifest.clips.some((clip) => clip.drawing)) await mkdir(drawings, { recursive: true });
  const style = { size: frameSize(format.aspectRatio), brandColor: format.brandColor };
  // Drawings share their stills: each file is fetched once.
  const fetched = new Map<string, Promise<string>>();
  const fetchOnce = (file: string) => {
    if (!fetched.has(file)) fetched.set(file, ctx.fetch('broll', file));
    return fetched.get(file)!;
  };
  const clips = await Promise.all(
    manifest.clips.map(async (clip, index) => ({
      ...clip,
      path: await fetchOnce(clip.file),
      draw: clip.drawing
        ? await motionClipDrawer(clip.drawing, `broll.json clips[${index}].drawing`, join(drawings, `clip-${index + 1}`), style).catch(
            (error: Error) => {
              throw new StageFailure(`the B-roll manifest is malformed: ${error.message}`);
            },
          )
        : undefined,
    })),
  );
  const layout = !avatarPath ? 'broll-only' : clips.length === 0 ? 'avatar-full' : format.layout;
  const musicPath = format.music
    ? await ctx.download(format.music.uri, mediaFileName('music', format.music.uri, '.mp3'), 'spec.format.music.uri')
    : undefined;
  const output = await assembleEpisode(
    {
      workdir: ctx.workdir,
      format: { ...format, layout },
      title: meta?.title ?? text.title,
      thumbnailText: meta?.thumbnailText ?? text.title,
      narration,
      narrationAudioPath: audioPath,
      avatarPath,
      avatarDrawing,
      broll: { clips },
      musicPath,
    },
    { signal: ctx.signal, onProgress: progressLogger(ctx) },
  );
  const summary = { durationSeconds: output.durationSeconds, chapterStarts: output.chapterStarts, loudness: output.loudness };
  return {
    provider: 'ffmpeg',
    files: {
      'video.mp4': output.video,
      'thumbnail.jpg': output.thumbnail,
      'captions.srt': output.captionsSrt,
      'captions.vtt': output.captionsVtt,
      'assembly.json': await ctx.writeJson('assembly.json', summary),
    },
    usage: { videoSeconds: Math.round(output.durationSeconds * 10) / 10 },
  };
};

/** Logs the encode's progress in steps of ten percent ("assemble 40%"), which render shows as a bar. */
function progressLogger(ctx: StageContext): (progress: AssembleProgress) => void {
  let last = -1;
  return ({ phase, secondsDone, totalSeconds }) => {
    if (phase !== 'encode' || totalSeconds <= 0) return;
    const percent = Math.min(100, Math.floor((secondsDone / totalSeconds) * 10) * 10);
    if (percent > last) {
      last = percent;
      ctx.log(`assemble ${percent}%`);
    }
  };
}

const upload: StageImplementation = async (ctx) => {
  const meta = await ctx.readJson<Metadata>('metadata', 'metadata.json').catch(async (error) => {
    if (!skippedStages(ctx).has('metadata')) throw error;
    const text = await finalScript(ctx);
    return {
      title: text.title,
      description: '',
      tags: [],
      chapters: [],
      thumbnailText: text.title,
      language: ctx.input.channel.spec.persona.language ?? 'en',
    } satisfies Metadata;
  });
  const assembly = await ctx.readJson<{ chapterStarts: number[] }>('assemble', 'assembly.json');
  const manifest = skippedStages(ctx).has('broll') ? { clips: [] } : await ctx.readJson<BrollManifest>('broll', 'broll.json');
  const files = {
    video: await ctx.fetch('assemble', 'video.mp4'),
    thumbnail: await ctx.fetch('assemble', 'thumbnail.jpg'),
    captionsSrt: await ctx.fetch('assemble', 'captions.srt'),
    captionsVtt: await ctx.fetch('assemble', 'captions.vtt'),
  };
  const publisher = createPublisher(providerSpec(ctx, 'publisher'), publisherOptions(ctx));
  const attributions = [...new Set(manifest.clips.map((clip) => clip.attribution).filter((a): a is string => Boolean(a)))];
  const produced = await publisher.publish(providerContext(ctx), {
    files,
    metadata: meta,
    chapterStarts: assembly.chapterStarts,
    attributions,
  });
  return documentOutput(ctx, publisher.name, 'publication.json', produced);
};

/**
 * Where the folder publisher puts things when neither the Channel nor the Episode names a
 * destination: s3://acog-assets/<namespace>/published/<episode>/, inside the tenant's own prefix
 * (ACOG_PUBLISH_DESTINATION overrides it; render points it at the local output folder).
 */
export function defaultPublishDestination(namespace: string, episode: string): string {
  return `s3://${BUCKETS.assets}/${namespace}/published/${episode}/`;
}

/** The spec field the publish destination comes from, for refusals. */
function destinationField(ctx: StageContext): string {
  const fallback = ctx.env.ACOG_PUBLISH_DESTINATION ? 'ACOG_PUBLISH_DESTINATION' : 'the default publish destination';
  const override = ctx.input.episode.spec.overrides?.providers?.publisher;
  if (override) return override.destination ? 'spec.overrides.providers.publisher.destination' : fallback;
  return ctx.input.channel.spec.providers?.publisher?.destination ? 'spec.providers.publisher.destination' : fallback;
}

/** The folder publisher writes only where artifactScopeDecision allows: under the namespace's prefix, or a local folder in a render. */
function publisherOptions(ctx: StageContext): PublisherOptions {
  const { input } = ctx;
  const defaultDestination = ctx.env.ACOG_PUBLISH_DESTINATION ?? defaultPublishDestination(input.episode.namespace, input.episode.name);
  const field = destinationField(ctx);
  return {
    defaultDestination,
    checkDestination: (uri: string) => ctx.checkUri('destination', field, uri),
    putFile: (uri: string, path: string) => ctx.putFile(uri, path, field),
  };
}

export const STAGE_IMPLEMENTATIONS: Record<StageName, StageImplementation> = {
  plan,
  script,
  refine,
  metadata,
  voice,
  avatar,
  broll,
  assemble,
  upload,
};
