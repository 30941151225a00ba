// `kubectl acog describe episode|channel NAME`: kubectl describe's text for ACOG objects: spec
// summary, status, every stage, approval gates with the command that passes them, and Events.
import { Argument } from 'commander';
import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import {
  APPROVAL_ANNOTATION_PREFIX,
  DEFAULT_SECRET_KEYS,
  STAGES,
  YOUTUBE_KEYS,
  providerNeedsSecret,
  activeStages,
  gatesOf,
  type Channel,
  type Conditions,
  type Episode,
  type Providers,
  type SecretRef,
  type StageName,
} from '@acog/api';
import { age } from '../../output/format.ts';
import type { Connection } from '../../kube/config.ts';
import { CommandError, explainApiError } from '../../kube/errors.ts';
import type { CommandIO, RegisterCommand } from '../types.ts';
import {
  approveCommand,
  duration,
  getObject,
  money,
  orderedStages,
  parseKind,
  progressBar,
  secondsBetween,
  stageProgress,
  type AcogObject,
  type Kind,
  type StageStatus,
} from './common.ts';

/** A list prints one item a line, aligned under the first; a multi-line string goes below its label. */
type Value = string | number | boolean | undefined | null | string[];

/** Text in kubectl describe's layout: "Label:  value" pairs aligned per block, nested by two spaces. */
class Text {
  private readonly lines: string[] = [];

  /** Pairs at one indentation, values aligned; a multi-line value goes below its label. */
  fields(indent: number, pairs: Array<[string, Value]>): this {
    const width = Math.max(...pairs.map(([label]) => label.length)) + 2;
    for (const [label, value] of pairs) {
      if (Array.isArray(value) && value.length) {
        value.forEach((item, i) => this.line(indent, `${(i ? '' : `${label}:`).padEnd(width + 1)}${item}`));
        continue;
      }
      const empty = value === undefined || value === null || value === '' || (Array.isArray(value) && !value.length);
      const text = empty ? '<none>' : String(value);
      if (text.includes('\n')) {
        this.line(indent, `${label}:`);
        for (const line of text.replace(/\n+$/, '').split('\n')) this.line(indent + 2, line);
      } else this.line(indent, `${`${label}:`.padEnd(width + 1)}${text}`);
    }
    return this;
  }

  line(indent: number, text: string): this {
    this.lines.push(`${' '.repeat(indent)}${text}`.trimEnd());
    return this;
  }

  /** A small table (conditions, events) under a heading. */
  table(indent: number, headers: string[], rows: string[][]): this {
    const all = [headers, headers.map((h) => '-'.repeat(h.length)), ...rows];
    const widths = headers.map((_, i) => Math.max(...all.map((row) => row[i].length)));
    for (const row of all) this.line(indent, row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] + 2))).join(''));
    return this;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function when(timestamp: string | Date | undefined): string | undefined {
  if (!timestamp) return undefined;
  const iso = typeof timestamp === 'string' ? timestamp : timestamp.toISOString();
  return `${iso} (${age(timestamp)} ago)`;
}

function mapText(map: Record<string, string> | undefined, separator: string): string[] {
  return Object.entries(map ?? {})
    .filter(([key]) => key !== 'kubectl.kubernetes.io/last-applied-configuration')
    .map(([key, value]) => `${key}${separator}${value}`);
}

function metadata(text: Text, object: AcogObject): void {
  const meta = object.metadata;
  text.fields(0, [
    ['Name', meta.name],
    ['Namespace', meta.namespace],
    ['Labels', mapText(meta.labels, '=')],
    ['Annotations', mapText(meta.annotations, ': ')],
    ['API Version', object.apiVersion],
    ['Kind', object.kind],
    ['UID', meta.uid],
    ['Created', when(meta.creationTimestamp)],
    ['Generation', `${meta.generation ?? 1} (status observed ${object.status?.observedGeneration ?? 'none yet'})`],
  ]);
  if (meta.deletionTimestamp) text.fields(0, [['Deleting Since', when(meta.deletionTimestamp)]]);
}

/** The Conditions pair for a status block when there are none; the table comes after the block otherwise. */
function noConditions(list: Conditions | undefined): Array<[string, Value]> {
  return list?.length ? [] : [['Conditions', undefined]];
}

function conditions(text: Text, indent: number, list: Conditions | undefined): void {
  if (!list?.length) return;
  text.line(indent, 'Conditions:');
  text.table(
    indent + 2,
    ['Type', 'Status', 'Reason', 'Age', 'Message'],
    list.map((c) => [c.type, c.status, c.reason, age(c.lastTransitionTime), c.message]),
  );
}

function eventTime(event: CoreV1Event): Date | undefined {
  const t =
    event.lastTimestamp ?? event.series?.lastObservedTime ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp;
  return t ? new Date(t as unknown as string) : undefined;
}

async function events(text: Text, connection: Connection, object: AcogObject): Promise<void> {
  let items: CoreV1Event[];
  try {
    const list = await connection.kc
      .makeApiClient(CoreV1Api)
      .listNamespacedEvent({ namespace: object.metadata.namespace!, fieldSelector: `involvedObject.uid=${object.metadata.uid}` });
    items = list.items;
  } catch (error) {
    text.line(0, `Events:  <cannot list: ${explainApiError(error, `events in namespace "${object.metadata.namespace}"`).message}>`);
    return;
  }
  if (!items.length) {
    text.line(0, 'Events:  <none>');
    return;
  }
  items.sort((a, b) => (eventTime(a)?.getTime() ?? 0) - (eventTime(b)?.getTime() ?? 0));
  text.line(0, 'Events:');
  text.table(
    2,
    ['Type', 'Reason', 'Age', 'From', 'Message'],
    items.map((event) => {
      const last = eventTime(event);
      const count = event.series?.count ?? event.count ?? 1;
      const first = event.firstTimestamp ?? event.eventTime;
      const ageText = count > 1 && first ? `${age(last)} (x${count} over ${age(first as unknown as string)})` : age(last);
      const from = event.reportingComponent || event.source?.component || '';
      return [event.type ?? '', event.reason ?? '', ageText, from, (event.message ?? '').replace(/\s*\n\s*/g, ' ')];
    }),
  );
}

// --- Episode ---------------------------------------------------------------------------------

function stageBlock(text: Text, stage: StageStatus): void {
  text.line(2, `${stage.name}:`);
  const took = secondsBetween(stage.startedAt, stage.finishedAt);
  const usage = Object.entries(stage.usage ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const started = Boolean(stage.attempt || stage.startedAt || stage.jobName);
  const running =
    stage.phase === 'Running' && stage.startedAt ? duration(secondsBetween(stage.startedAt, new Date().toISOString()) ?? 0) : undefined;
  const pairs: Array<[string, Value]> = [
    ['Phase', stage.phase],
    ['Attempt', stage.attempt],
    ['Job', stage.jobName],
    ['Started', when(stage.startedAt)],
    ['Finished', stage.finishedAt ? `${when(stage.finishedAt)}${took !== undefined ? `, took ${duration(took)}` : ''}` : undefined],
    ['Running For', running],
    ['Next Attempt', when(stage.nextAttemptAt)],
    ['Provider', stage.provider],
    ['Cost', started || stage.costUSD ? money(stage.costUSD) : undefined],
    ['Usage', usage],
    ['Message', stage.message],
    ['Input Hash', stage.inputHash],
  ];
  const shown = pairs.filter(([label, value]) => label === 'Phase' || (value !== undefined && value !== ''));
  if (!stage.artifacts?.length) {
    text.fields(4, started ? [...shown, ['Artifacts', undefined]] : shown);
    return;
  }
  text.fields(4, shown);
  text.line(4, 'Artifacts:');
  for (const uri of stage.artifacts) text.line(6, uri);
}

interface Gate {
  stage: StageName;
  state: string;
}

/** The Channel's gates and the Episode's, in pipeline order (the Episode's alone when the Channel cannot be read), with their state. */
function gateStates(episode: Episode, channel: Channel | undefined, namespace: string): Gate[] {
  const gates = gatesOf(episode, channel);
  const stages = new Map((episode.status?.stages ?? []).map((stage) => [stage.name, stage]));
  const active = channel ? activeStages(channel.spec, episode.spec) : undefined;
  const name = episode.metadata.name!;
  return gates.map((stage) => {
    const approvedAt = episode.metadata.annotations?.[`${APPROVAL_ANNOTATION_PREFIX}${stage}`];
    const phase = stages.get(stage)?.phase;
    if (approvedAt) return { stage, state: `approved (${approvedAt})` };
    if (phase === 'Skipped' || (active && !active.includes(stage))) return { stage, state: 'stage skipped: nothing to approve' };
    if (phase === 'AwaitingApproval') return { stage, state: `WAITING for approval: ${approveCommand(name, stage, namespace)}` };
    if (phase === 'Succeeded' || phase === 'Running') return { stage, state: `passed (stage ${phase.toLowerCase()})` };
    return { stage, state: `not reached yet; approve ahead with: ${approveCommand(name, stage, namespace)}` };
  });
}

/** The final artifacts, in the order a person looks for them. */
const ARTIFACT_LABELS = {
  video: 'Video',
  thumbnail: 'Thumbnail',
  captionsSrt: 'Captions SRT',
  captionsVtt: 'Captions VTT',
  metadata: 'Metadata',
  script: 'Script',
} as const;

async function describeEpisode(connection: Connection, episode: Episode): Promise<string> {
  const text = new Text();
  const namespace = episode.metadata.namespace!;
  let channel: Channel | undefined;
  let channelNote: string | undefined;
  try {
    channel = await getObject<Channel>(connection, 'channel', episode.spec.channelRef.name, namespace);
  } catch (error) {
    channelNote = (error as Error).message;
  }
  metadata(text, episode);
  const spec = episode.spec;
  const skippedSet = new Set([...(channel?.spec.skipStages ?? []), ...(spec.overrides?.skipStages ?? [])]);
  const skipped = STAGES.filter((stage) => skippedSet.has(stage));
  const publish = spec.publish;
  text.line(0, 'Spec:');
  text.fields(2, [
    ['Channel', `${spec.channelRef.name}${channelNote ? ` (${channelNote})` : ''}`],
    ['Topic', spec.topic],
    ['Brief', spec.brief],
    ['Key Points', spec.keyPoints?.map((point) => `- ${point}`)],
    ['References', spec.references?.map((r) => `- ${r.title ? `${r.title}: ` : ''}${r.url}`)],
    [
      'Duration',
      spec.overrides?.targetDurationSeconds
        ? `${duration(spec.overrides.targetDurationSeconds)} (overrides the channel)`
        : channel
          ? duration(channel.spec.format.targetDurationSeconds)
          : undefined,
    ],
    ['Approval Gates', gatesOf(episode, channel).join(', ')],
    ['Skipped Stages', skipped.join(', ')],
    ['Provider Overrides', Object.keys(spec.overrides?.providers ?? {}).join(', ')],
    [
      'Publish',
      publish
        ? [
            publish.privacy ?? 'public',
            publish.at ? `at ${publish.at}` : '',
            publish.playlistIds?.length ? `playlists ${publish.playlistIds.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join(', ')
        : undefined,
    ],
    ['Suspend', Boolean(spec.suspend)],
    ...(spec.cancel ? ([['Cancel', true]] as Array<[string, Value]>) : []),
  ]);

  const status = episode.status;
  text.line(0, 'Status:');
  if (!status) text.line(2, '<none yet: the operator has not seen this episode>');
  else {
    const progress = stageProgress(status);
    text.fields(2, [
      ['Phase', status.phase],
      ['Message', status.message],
      ['Current Stage', status.currentStage],
      ['Progress', progress ? progressBar(progress) : undefined],
      ['Started', when(status.startedAt)],
      [
        'Finished',
        status.finishedAt
          ? `${when(status.finishedAt)}, took ${duration(secondsBetween(status.startedAt, status.finishedAt) ?? 0)}`
          : undefined,
      ],
      ['Total Cost', money(status.totalCostUSD)],
      ...(status.lastRetryAt ? ([['Last Retry', when(status.lastRetryAt)]] as Array<[string, Value]>) : []),
      ...noConditions(status.conditions),
    ]);
    if (status.youtube?.videoId || status.youtube?.url) {
      text.line(2, 'YouTube:');
      text.fields(4, [
        ['Video ID', status.youtube.videoId],
        ['URL', status.youtube.url],
        ...(status.youtube.publishAt ? ([['Publish At', status.youtube.publishAt]] as Array<[string, Value]>) : []),
      ]);
    }
    const files = status.artifacts ?? {};
    const artifacts = (Object.keys(ARTIFACT_LABELS) as Array<keyof typeof ARTIFACT_LABELS>)
      .filter((key) => files[key])
      .map((key): [string, Value] => [ARTIFACT_LABELS[key], files[key]]);
    if (artifacts.length) {
      text.line(2, 'Artifacts:');
      text.fields(4, artifacts);
    }
    conditions(text, 2, status.conditions);
  }

  const stages = orderedStages(status);
  if (stages.length) {
    text.line(0, 'Stages:');
    for (const stage of stages) stageBlock(text, stage);
  } else text.line(0, 'Stages:  <none started>');

  const gates = gateStates(episode, channel, namespace);
  if (gates.length) {
    text.line(0, 'Approvals:');
    text.fields(
      2,
      gates.map((gate) => [gate.stage, gate.state]),
    );
  } else text.line(0, 'Approvals:  <no approval gates>');
  await events(text, connection, episode);
  return text.toString();
}

// --- Channel ---------------------------------------------------------------------------------

/** The Secret a provider reads its key from: names only, never a value. */
function secretText(provider: string, ref: SecretRef | undefined): string {
  if (!ref) return providerNeedsSecret(provider) ? 'no secret named: it cannot authenticate' : '';
  const keys = provider === 'youtube' ? YOUTUBE_KEYS.join(', ') : (ref.key ?? DEFAULT_SECRET_KEYS[provider] ?? 'the default key');
  return `secret ${ref.name} (${keys})`;
}

function providerLines(providers: Providers | undefined): Array<[string, Value]> {
  const p = providers ?? {};
  const line = (name: string, settings: Array<string | false | undefined>, ref: SecretRef | undefined) =>
    [name, secretText(name, ref), ...settings].filter(Boolean).join(', ');
  return [
    [
      'LLM',
      p.llm
        ? line(
            p.llm.provider,
            [
              p.llm.model && `model ${p.llm.model}`,
              p.llm.planModel && `plan model ${p.llm.planModel}`,
              p.llm.baseURL && `base URL ${p.llm.baseURL}`,
            ],
            p.llm.secretRef,
          )
        : 'offline (default)',
    ],
    [
      'Voice',
      p.voice
        ? line(
            p.voice.provider,
            [p.voice.voiceId && `voice ${p.voice.voiceId}`, p.voice.model && `model ${p.voice.model}`],
            p.voice.secretRef,
          )
        : 'espeak (default)',
    ],
    [
      'Avatar',
      p.avatar ? line(p.avatar.provider, [p.avatar.avatarId && `avatar ${p.avatar.avatarId}`], p.avatar.secretRef) : 'audiogram (default)',
    ],
    [
      'B-roll',
      p.broll
        ? line(
            p.broll.provider,
            [p.broll.model && `model ${p.broll.model}`, p.broll.clipSeconds ? `${p.broll.clipSeconds}s clips` : undefined],
            p.broll.secretRef,
          )
        : 'motion-graphics (default)',
    ],
    [
      'Publisher',
      p.publisher
        ? line(
            p.publisher.provider,
            [p.publisher.destination && `to ${p.publisher.destination}`, p.publisher.categoryId && `category ${p.publisher.categoryId}`],
            p.publisher.secretRef,
          )
        : 'folder (default)',
    ],
  ];
}

async function describeChannel(connection: Connection, channel: Channel): Promise<string> {
  const text = new Text();
  metadata(text, channel);
  const { persona, format } = channel.spec;
  const spec = channel.spec;
  text.line(0, 'Persona:');
  text.fields(2, [
    ['Name', persona.name],
    ['Tone', persona.tone],
    ['Audience', persona.audience],
    ['Language', persona.language ?? 'en'],
    ['Style Guide', persona.styleGuide],
    ['Banned Topics', persona.bannedTopics?.join(', ')],
  ]);
  text.line(0, 'Format:');
  text.fields(2, [
    ['Aspect Ratio', format.aspectRatio],
    [
      'Target Duration',
      `${duration(format.targetDurationSeconds)}${format.wordsPerMinute ? ` at ${format.wordsPerMinute} words per minute` : ''}`,
    ],
    ['Layout', format.layout],
    [
      'Captions',
      format.captions
        ? [format.captions.style, format.captions.burnIn === false ? 'not burned in' : 'burned in', format.captions.position]
            .filter(Boolean)
            .join(', ')
        : undefined,
    ],
    [
      'Music',
      format.music ? `${format.music.uri}${format.music.volumeDb !== undefined ? `, ${format.music.volumeDb} dB` : ''}` : undefined,
    ],
    ['Intro', format.intro ? `${format.intro.text ? `"${format.intro.text}", ` : ''}${format.intro.durationSeconds ?? 0}s` : undefined],
    ['Outro', format.outro ? `${format.outro.text ? `"${format.outro.text}", ` : ''}${format.outro.durationSeconds ?? 0}s` : undefined],
    ['Brand Color', format.brandColor],
  ]);
  text.line(0, 'Providers:');
  text.fields(2, providerLines(spec.providers));
  const retry = spec.retryPolicy;
  const schedule = spec.schedule;
  const budget = spec.budget;
  text.fields(0, [
    ['Approval Gates', spec.approvalGates?.join(', ')],
    ['Skipped Stages', spec.skipStages?.join(', ')],
    [
      'Retry Policy',
      retry
        ? `${retry.maxAttempts ?? 3} attempts, backoff ${duration(retry.backoffSeconds ?? 30)} doubling up to ${duration(retry.maxBackoffSeconds ?? 600)}`
        : undefined,
    ],
    ['Artifact Retention', spec.retention?.artifacts ?? 'Keep'],
    [
      'Schedule',
      schedule
        ? `${schedule.cron}${schedule.timezone ? ` (${schedule.timezone})` : ''}${schedule.suspend ? ', suspended' : ''}, ${plural(schedule.topics?.length ?? 0, 'topic')} queued, last run ${channel.status?.lastScheduledTime ?? 'never'}`
        : undefined,
    ],
    ['Pulse', spec.pulse ? `${spec.pulse.enabled ? 'enabled' : 'disabled'}, ${plural(spec.pulse.rules?.length ?? 0, 'rule')}` : undefined],
    ['Budget', budget ? `${money(budget.monthlyLimitUSD)} a month, on exceeding: ${budget.onExceeded ?? 'Pause'}` : 'no limit'],
  ]);
  const status = channel.status;
  const spend = status?.spend;
  const percent =
    budget && budget.monthlyLimitUSD > 0 && spend?.actualUSD !== undefined
      ? ` (${Math.round((spend.actualUSD / budget.monthlyLimitUSD) * 100)}% of the budget)`
      : '';
  text.line(0, 'Status:');
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  const counts = status?.episodes;
  const countText = counts
    ? `${counts.total ?? 0} total` +
      (['pending', 'running', 'awaitingApproval', 'succeeded', 'failed', 'cancelled'] as const)
        .filter((phase) => counts[phase])
        .map((phase) => `, ${counts[phase]} ${phase === 'awaitingApproval' ? 'awaiting approval' : phase}`)
        .join('')
    : undefined;
  text.fields(2, [
    [
      'Ready',
      ready
        ? `${ready.status} (${ready.reason})${ready.message ? `: ${ready.message}` : ''}`
        : 'Unknown (the operator has not reported yet)',
    ],
    ['Spend', spend ? `${money(spend.actualUSD)} in ${spend.month ?? 'this month'}${percent}` : money(0)],
    ['Episodes', countText],
    ...noConditions(status?.conditions),
  ]);
  conditions(text, 2, status?.conditions);
  await events(text, connection, channel);
  return text.toString();
}

export const registerDescribe: RegisterCommand = (program, io: CommandIO) => {
  program
    .command('describe')
    .description('Show an Episode (stages, approvals, events) or a Channel (persona, providers, budget) in detail.')
    .addArgument(new Argument('<type>', 'episode (ep) or channel (ch)').argParser(parseKind))
    .argument('<name>', 'the name of the object')
    .addHelpText('after', '\nExamples:\n  kubectl acog describe episode how-indexes-work\n  kubectl acog describe ch engineering-explained')
    .action(async (kind: Kind, name: string) => {
      const connection = io.connection();
      if (connection.allNamespaces) throw new CommandError('describe takes one object: drop -A and name its namespace with -n');
      const object = await getObject(connection, kind, name);
      io.stdout.write(
        kind === 'episode' ? await describeEpisode(connection, object as Episode) : await describeChannel(connection, object as Channel),
      );
    });
};
