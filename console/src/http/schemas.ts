// The shapes of the API (zod): what the routes accept and return, for the OpenAPI document, the
// validation of requests, and — inferred with z.infer — the wire types. The views
// (cluster/views.ts) return these types and the console (web/lib/api.ts) imports them, type-only,
// so the three agree by construction.
import { z } from '@hono/zod-openapi';
import { PULSE_REASONS, STAGES, type ChannelSpec, type EpisodeSpec, type StageName } from '@acog/api';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const StageNameSchema = z.enum(STAGES as [StageName, ...StageName[]]);

export const NamespaceParam = z
  .string()
  .max(63)
  .regex(dnsLabel, 'namespace: must be a DNS label (lower case letters, digits and -)')
  .openapi({ param: { name: 'namespace', in: 'path' }, example: 'team-a' });
export const NameParam = z
  .string()
  .max(253)
  .regex(dnsSubdomain, 'name: must be a DNS subdomain (lower case letters, digits, - and .)')
  .openapi({ param: { name: 'name', in: 'path' }, example: 'how-indexes-work' });
export const StageParam = StageNameSchema.openapi({ param: { name: 'stage', in: 'path' } });

export const ObjectParams = z.object({ namespace: NamespaceParam, name: NameParam });

const FieldErrorSchema = z.object({ field: z.string(), message: z.string() });

export const ErrorSchema = z
  .object({
    error: z.object({
      status: z.number().int(),
      reason: z.string(),
      message: z.string(),
      missing: z
        .object({
          verb: z.string(),
          group: z.string(),
          resource: z.string(),
          subresource: z.string().optional(),
          namespace: z.string().optional(),
          name: z.string().optional(),
        })
        .optional()
        .openapi({ description: 'The permission the user lacks (on a 403)' }),
      fields: z.array(FieldErrorSchema).optional().openapi({ description: 'The fields that are invalid (on a 400 or 422)' }),
    }),
  })
  .openapi('Error');

export const UserSchema = z.object({ username: z.string(), groups: z.array(z.string()), via: z.enum(['token', 'proxy']) }).openapi('User');

export const StageSummarySchema = z.object({ name: StageNameSchema, phase: z.string(), attempt: z.number().int().optional() });

export const EpisodeSummarySchema = z
  .object({
    namespace: z.string(),
    name: z.string(),
    uid: z.string(),
    channel: z.string(),
    topic: z.string(),
    phase: z.string(),
    progress: z.string().optional(),
    progressRatio: z.number().openapi({ description: 'Finished stages out of all, 0..1, for a progress bar' }),
    currentStage: z.string().optional(),
    message: z.string().optional(),
    createdAt: z.string().optional(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    totalCostUSD: z.number(),
    suspended: z.boolean(),
    cancelled: z.boolean(),
    resourceVersion: z.string().optional(),
    stages: z.array(StageSummarySchema),
  })
  .openapi('EpisodeSummary');

export const EpisodePageSchema = z
  .object({ items: z.array(EpisodeSummarySchema), total: z.number().int(), continue: z.string().optional() })
  .openapi('EpisodePage');

export const StageViewSchema = z
  .object({
    name: StageNameSchema,
    phase: z.string(),
    dependsOn: z.array(StageNameSchema),
    attempt: z.number().int().optional(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    nextAttemptAt: z.string().optional(),
    message: z.string().optional(),
    provider: z.string().optional(),
    costUSD: z.number().optional(),
    usage: z.record(z.string(), z.number().optional()).optional(),
    jobName: z.string().optional(),
    artifacts: z
      .array(z.string())
      .openapi({ description: 'Artifact file names of the stage, each served under .../artifacts/<stage>/<file>' }),
    gate: z.boolean(),
    approvedAt: z.string().optional(),
  })
  .openapi('Stage');

export const JobViewSchema = z
  .object({
    name: z.string(),
    stage: z.string().optional(),
    attempt: z.string().optional(),
    state: z.enum(['Active', 'Complete', 'Failed']),
    startTime: z.string().optional(),
    completionTime: z.string().optional(),
  })
  .openapi('Job');

export const EventViewSchema = z
  .object({
    type: z.string().optional(),
    reason: z.string().optional(),
    message: z.string().optional(),
    count: z.number().int(),
    firstSeen: z.string().optional(),
    lastSeen: z.string().optional(),
    source: z.string().optional(),
    involved: z.object({ kind: z.string().optional(), name: z.string().optional(), namespace: z.string().optional() }),
  })
  .openapi('Event');

export const ConditionSchema = z
  .object({
    type: z.string(),
    status: z.enum(['True', 'False', 'Unknown']),
    observedGeneration: z.number().int().optional(),
    lastTransitionTime: z.string(),
    reason: z.string(),
    message: z.string(),
  })
  .openapi('Condition');

const count = z.number().int().optional();

export const ChannelSummarySchema = z
  .object({
    namespace: z.string(),
    name: z.string(),
    persona: z.string(),
    language: z.string().optional(),
    aspectRatio: z.string().optional(),
    targetDurationSeconds: z.number().optional(),
    ready: z.boolean(),
    readyReason: z.string().optional(),
    readyMessage: z.string().optional(),
    episodes: z
      .object({
        total: count,
        pending: count,
        running: count,
        awaitingApproval: count,
        succeeded: count,
        failed: count,
        cancelled: count,
      })
      .openapi({ description: 'Episodes of the channel: all, and by phase' }),
    spendUSD: z.number(),
    budgetUSD: z.number().optional(),
  })
  .openapi('ChannelSummary');

export const ChannelPageSchema = z
  .object({ items: z.array(ChannelSummarySchema), total: z.number().int(), continue: z.string().optional() })
  .openapi('ChannelPage');

/** A spec as the API server has it: the CRD's schema (crds/) describes it; the generated type names it. */
const specOf = <T>(kind: string) =>
  z
    .custom<T>((value) => typeof value === 'object' && value !== null && !Array.isArray(value))
    .openapi({ type: 'object', description: `The ${kind}'s spec (acog.dev/v1alpha1), as in its CRD` });

export const EpisodeDetailSchema = z
  .object({
    summary: EpisodeSummarySchema,
    spec: specOf<EpisodeSpec>('Episode'),
    annotations: z.record(z.string(), z.string()),
    stages: z.array(StageViewSchema),
    waitingGates: z.array(StageNameSchema),
    gates: z.array(StageNameSchema),
    artifacts: z.record(z.string(), z.string()).openapi({ description: 'Final artifact name → the URL the gateway serves it at' }),
    conditions: z.array(ConditionSchema),
    youtube: z.object({ videoId: z.string().optional(), url: z.string().optional(), publishAt: z.string().optional() }).nullable(),
    captionsBurnedIn: z.boolean().openapi({ description: "The video has its captions drawn in (the Channel's format.captions.burnIn)" }),
    channel: z
      .union([ChannelSummarySchema, z.null()])
      .openapi({ description: "The Channel's summary; null when it is gone or the user may not get it" }),
    jobs: z.array(JobViewSchema),
    events: z.array(EventViewSchema),
    resourceVersion: z.string().openapi({ description: 'The version an edit of the spec sends back, so a change meanwhile is a 409' }),
    pace: z
      .object({ targetSeconds: z.number(), wordsPerMinute: z.number() })
      .nullable()
      .openapi({ description: 'What the script is fitted to (target length, spoken words per minute); null without its Channel' }),
  })
  .openapi('EpisodeDetail');

export const ScheduleViewSchema = z
  .object({
    cron: z.string(),
    timezone: z.string(),
    suspended: z.boolean(),
    concurrencyPolicy: z.string(),
    topicsLeft: z.number().int(),
    lastScheduleTime: z.string().optional(),
    lastEpisode: z.string().optional(),
    runs: z.array(
      z.object({
        time: z.string().openapi({ description: 'RFC 3339, UTC' }),
        topic: z.string().nullable().openapi({ description: 'The topic it would take; null when none is left' }),
        episode: z.string().openapi({ description: 'The name of the Episode it would create' }),
      }),
    ),
  })
  .openapi('ScheduleView', { description: "The next runs of a Channel's schedule, as the operator computes them" });

export const ChannelDetailSchema = z
  .object({
    summary: ChannelSummarySchema,
    spec: specOf<ChannelSpec>('Channel'),
    conditions: z.array(ConditionSchema),
    recentEpisodes: z.array(EpisodeSummarySchema),
    events: z.array(EventViewSchema),
    schedule: ScheduleViewSchema.nullable().openapi({ description: 'The next runs of its schedule; null when it has none' }),
    resourceVersion: z.string().openapi({ description: 'The version an edit of the spec sends back, so a change meanwhile is a 409' }),
  })
  .openapi('ChannelDetail');

export const StageBodySchema = z
  .object({ stage: StageNameSchema.optional() })
  .openapi('StageRequest', { description: 'The stage to act on; the plugin default when absent' });

export const ActionResultSchema = z.object({ message: z.string(), episode: EpisodeSummarySchema }).openapi('ActionResult');

export const EpisodeCreateSchema = z
  .record(z.string(), z.unknown())
  .openapi('EpisodeManifest', { description: 'An Episode (acog.dev/v1alpha1); apiVersion, kind and namespace may be left out' });

export const CreatedSchema = z.object({ episode: EpisodeSummarySchema }).openapi('Created');

export const ChannelManifestSchema = z
  .record(z.string(), z.unknown())
  .openapi('ChannelManifest', { description: 'A Channel (acog.dev/v1alpha1); apiVersion, kind and namespace may be left out' });

const resourceVersion = z.string().min(1).max(64).openapi({ description: 'metadata.resourceVersion of the object the edit began from' });

export const SpecReplaceSchema = z
  .object({
    spec: z.record(z.string(), z.unknown()).openapi({ description: 'The whole spec, replacing the one stored' }),
    resourceVersion,
  })
  .strict()
  .openapi('SpecReplace');

export const EpisodePatchSchema = z
  .object({
    spec: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'A JSON merge patch (RFC 7386) of the spec: null removes a field, a list replaces the list' }),
    approve: StageNameSchema.optional().openapi({ description: 'Also pass the approval gate before this stage, in the same write' }),
    resourceVersion: resourceVersion.optional(),
  })
  .strict()
  .openapi('EpisodePatch');

export const ChannelWrittenSchema = z
  .object({ channel: ChannelSummarySchema, dryRun: z.boolean() })
  .openapi('ChannelWritten', { description: 'The Channel as the API server stored it (or would have, on a dry run)' });

export const EpisodeWrittenSchema = z
  .object({ episode: EpisodeSummarySchema, dryRun: z.boolean(), message: z.string() })
  .openapi('EpisodeWritten', { description: 'The Episode as the API server stored it (or would have, on a dry run)' });

export const DryRunQuery = z.object({
  dryRun: z
    .enum(['All'])
    .optional()
    .openapi({ description: 'All: the API server checks everything (schema, CEL rules, admission) and stores nothing' }),
});

export const ValidationResultSchema = z.object({ valid: z.boolean(), fields: z.array(FieldErrorSchema) }).openapi('ValidationResult');

export const PermissionsSchema = z
  .record(z.string(), z.object({ allowed: z.boolean(), reason: z.string().optional() }))
  .openapi('Permissions', { description: 'Action → whether the user may do it, and why not' });

export const NamespacesSchema = z.object({ items: z.array(z.string()) }).openapi('Namespaces');

export const ARCHIVED_PHASES = ['Succeeded', 'Failed', 'Cancelled'] as const;

export const ArchivedEpisodeSummarySchema = z
  .object({
    uid: z.string(),
    namespace: z.string(),
    name: z.string(),
    channel: z.string(),
    phase: z.enum(ARCHIVED_PHASES),
    topic: z.string(),
    labels: z.record(z.string(), z.string()),
    totalCostUSD: z.number(),
    videoId: z.string().optional(),
    videoUrl: z.string().optional(),
    createdAt: z.string().optional(),
    finishedAt: z.string(),
    archivedAt: z.string(),
    inCluster: z.boolean().openapi({ description: 'The Episode object still exists (its TTL has not deleted it)' }),
  })
  .openapi('ArchivedEpisodeSummary');

export const HistoryPageSchema = z
  .object({
    items: z.array(ArchivedEpisodeSummarySchema),
    continue: z.string().optional().openapi({ description: 'Pass as continue for the next page; absent on the last' }),
  })
  .openapi('HistoryPage');

export const ArchivedEpisodeDetailSchema = z
  .object({
    summary: ArchivedEpisodeSummarySchema,
    detail: EpisodeDetailSchema.openapi({
      description:
        'The archived Episode as the episode route shows one (no Jobs or Events: they went with it); artifacts lists the final artifacts still kept in object storage, served under .../history/{uid}/artifacts/',
    }),
    object: z
      .custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null)
      .openapi({ type: 'object', description: 'The Episode as it was archived (acog.dev/v1alpha1)' }),
  })
  .openapi('ArchivedEpisodeDetail');

const usd = z.number().openapi({ description: 'US dollars' });

export const SpendReportSchema = z
  .object({
    namespace: z.string(),
    month: z.string().openapi({ description: "The month of the report (YYYY-MM, in each Channel's budget timezone)" }),
    months: z.array(z.string()).openapi({ description: 'The months of the per-month totals, oldest first, ending with month' }),
    channels: z.array(
      z.object({
        channel: z.string(),
        limitUSD: usd.optional().openapi({ description: "The Channel's spec.budget.monthlyLimitUSD; absent without a budget or Channel" }),
        onExceeded: z.enum(['Pause', 'Fail']).optional(),
        exists: z.boolean().openapi({ description: 'The Channel still exists (spend of deleted Channels stays in the ledger)' }),
        months: z.array(z.object({ month: z.string(), actualUSD: usd, attempts: z.number().int() })),
        actualUSD: usd.openapi({ description: 'Spend in the report month' }),
        reservedUSD: usd.openapi({ description: 'Estimates held now by paid stages still running' }),
      }),
    ),
    byStageProvider: z
      .array(z.object({ channel: z.string(), stage: z.string(), provider: z.string(), actualUSD: usd, attempts: z.number().int() }))
      .openapi({ description: 'Spend of the report month per Channel, stage and provider' }),
    totalUSD: usd.openapi({ description: 'All Channels, the report month' }),
  })
  .openapi('SpendReport');

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const errorResponses = {
  400: jsonContent(ErrorSchema, 'Bad input; the message names the field'),
  401: jsonContent(ErrorSchema, 'No credentials, or the token was not accepted'),
  403: jsonContent(ErrorSchema, 'Forbidden; `missing` names the permission; or a write without X-ACOG-Console: 1'),
  413: jsonContent(ErrorSchema, 'The body is larger than the route takes'),
  429: jsonContent(ErrorSchema, 'Too many refused tokens from this client, or too many streams; Retry-After says when to try again'),
};

// The wire types, for the gateway's views and the console.
export type ApiError = z.infer<typeof ErrorSchema>['error'];
export type User = z.infer<typeof UserSchema>;
export type StageSummary = z.infer<typeof StageSummarySchema>;
export type EpisodeSummary = z.infer<typeof EpisodeSummarySchema>;
export type EpisodePage = z.infer<typeof EpisodePageSchema>;
export type StageView = z.infer<typeof StageViewSchema>;
export type JobView = z.infer<typeof JobViewSchema>;
export type EventView = z.infer<typeof EventViewSchema>;
export type Condition = z.infer<typeof ConditionSchema>;
export type ChannelSummary = z.infer<typeof ChannelSummarySchema>;
export type ChannelPage = z.infer<typeof ChannelPageSchema>;
export type EpisodeDetail = z.infer<typeof EpisodeDetailSchema>;
export type ChannelDetail = z.infer<typeof ChannelDetailSchema>;
export type ScheduleView = z.infer<typeof ScheduleViewSchema>;
export type StageRequest = z.infer<typeof StageBodySchema>;
export type ActionResult = z.infer<typeof ActionResultSchema>;
export type Created = z.infer<typeof CreatedSchema>;
export type ChannelWritten = z.infer<typeof ChannelWrittenSchema>;
export type EpisodeWritten = z.infer<typeof EpisodeWrittenSchema>;
export type EpisodePatch = z.infer<typeof EpisodePatchSchema>;
export type ValidationResult = z.infer<typeof ValidationResultSchema>;
export type Permissions = z.infer<typeof PermissionsSchema>;
export type Namespaces = z.infer<typeof NamespacesSchema>;
export type ArchivedEpisodeSummary = z.infer<typeof ArchivedEpisodeSummarySchema>;
export type HistoryPage = z.infer<typeof HistoryPageSchema>;
export type ArchivedEpisodeDetail = z.infer<typeof ArchivedEpisodeDetailSchema>;
export type SpendReport = z.infer<typeof SpendReportSchema>;

/** The Episode being written, as far as its estimate reads it; the rest of the spec passes through. */
export const EstimateRequestSchema = z
  .object({
    spec: z
      .object({
        channelRef: z.object({
          name: z.string().max(253).regex(dnsSubdomain, 'must be the name of a Channel (a DNS subdomain)'),
        }),
        topic: z.string().max(200).optional(),
        brief: z.string().max(8000).optional(),
        keyPoints: z.array(z.string()).optional(),
        references: z.array(z.unknown()).optional(),
        overrides: z
          .object({
            targetDurationSeconds: z.number().int('must be a whole number of seconds').min(15).max(7200).optional(),
            providers: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
          })
          .passthrough()
          .optional(),
      })
      .passthrough(),
  })
  .openapi('EstimateRequest', { description: 'The spec of the Episode being written (apiVersion, kind and metadata are not needed)' });

export const StageEstimateSchema = z.object({
  stage: StageNameSchema,
  provider: z.string(),
  model: z.string().optional(),
  usage: z.object({
    inputTokens: z.number().optional(),
    outputTokens: z.number().optional(),
    characters: z.number().optional(),
    seconds: z.number().optional(),
    clips: z.number().optional(),
  }),
  costUSD: z.number(),
  unpriced: z.string().optional().openapi({ description: 'Why a paid provider shows $0: no list price is known for it' }),
});

export const EstimateSchema = z
  .object({
    channel: z.string(),
    stages: z.array(StageEstimateSchema),
    totalUSD: z.number(),
    free: z.boolean().openapi({ description: "Every stage's provider is free (offline): the total is $0" }),
  })
  .openapi('Estimate', { description: 'What `kubectl acog create --dry-run=client` prints: per stage and in total' });

export type EstimateRequest = z.infer<typeof EstimateRequestSchema>;
export type Estimate = z.infer<typeof EstimateSchema>;

export const MediaUploadQuerySchema = z.object({
  filename: z
    .string()
    .max(255)
    .optional()
    .openapi({
      param: { name: 'filename', in: 'query' },
      description: "The file's own name; its safe characters are kept in the stored name",
      example: 'harbour.mp4',
    }),
});

export const MediaUploadSchema = z
  .object({
    uri: z.string().openapi({
      description: 'Where the file is: put it in spec.media[].uri',
      example: 's3://acog-assets/team-a/tides/6f1c…/media/1a2b3c4d-harbour.mp4',
    }),
    contentType: z.string(),
    bytes: z.number().int(),
  })
  .openapi('MediaUpload');

// ---------------------------------------------------------------------------------------------
// The Pulse inbox (issue #15) and the Jobs view (issue #17).

export const PULSE_OUTCOMES = ['created', 'skipped'] as const;

export const PulseInboxItemSchema = z
  .object({
    source: z.string(),
    id: z.string(),
    title: z.string(),
    url: z.string(),
    summary: z.string(),
    score: z.number().openapi({ description: 'The source’s score, 0 to 1' }),
    keywords: z.array(z.string()),
    publishedAt: z.string(),
    receivedAt: z.string(),
    namespace: z.string(),
    channel: z.string(),
    outcome: z.enum(PULSE_OUTCOMES),
    reason: z.string().openapi({ description: `Why, CamelCase: ${PULSE_REASONS.join(', ')}` }),
    message: z.string(),
    episode: z.string().optional().openapi({ description: 'The Episode created (outcome created)' }),
    decidedAt: z.string(),
    episodeState: z
      .object({
        exists: z.boolean().openapi({ description: 'The Episode is in the cluster (not deleted or archived away)' }),
        phase: z.string().optional(),
        waitingGates: z.array(StageNameSchema).openapi({ description: 'The approval gates it waits at now (plan: accept or dismiss)' }),
        cancelled: z.boolean(),
      })
      .optional(),
  })
  .openapi('PulseInboxItem');

export const PulseInboxPageSchema = z
  .object({
    items: z.array(PulseInboxItemSchema),
    continue: z.string().optional().openapi({ description: 'Pass as continue for the next page; absent on the last' }),
  })
  .openapi('PulseInboxPage');

export const JOB_ROW_STATES = ['Running', 'Waiting', 'Failed'] as const;
export const WAITING_REASONS = ['Approval', 'Budget', 'Backoff', 'Suspended', 'Held'] as const;

export const JobRowSchema = z
  .object({
    namespace: z.string(),
    episode: z.string(),
    channel: z.string(),
    stage: StageNameSchema,
    attempt: z.number().int().optional(),
    state: z.enum(JOB_ROW_STATES),
    waitingFor: z.enum(WAITING_REASONS).optional().openapi({
      description: 'Why a Waiting stage waits: an approval gate, the budget, a retry backoff, a suspended Episode, or another hold',
    }),
    message: z.string().optional().openapi({ description: 'Why it waits, or why it failed' }),
    jobName: z.string().optional(),
    since: z.string().optional().openapi({ description: 'When it started (Running), began to wait, or failed' }),
    until: z.string().optional().openapi({ description: 'When a backoff ends (Waiting for Backoff)' }),
  })
  .openapi('JobRow');

export const JobListSchema = z
  .object({
    items: z.array(JobRowSchema),
    namespaces: z.array(z.string()).openapi({ description: 'The namespaces the list covers (those the user may list Episodes in)' }),
  })
  .openapi('JobList');

export type PulseInboxItem = z.infer<typeof PulseInboxItemSchema>;
export type PulseInboxPage = z.infer<typeof PulseInboxPageSchema>;
export type JobRow = z.infer<typeof JobRowSchema>;
export type JobList = z.infer<typeof JobListSchema>;
