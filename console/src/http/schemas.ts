// The shapes of the API for the OpenAPI document (zod): what the routes accept and return.
import { z } from '@hono/zod-openapi';
import { STAGES } from '@acog/api';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

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
export const StageParam = z.enum(STAGES as [string, ...string[]]).openapi({ param: { name: 'stage', in: 'path' } });

export const ObjectParams = z.object({ namespace: NamespaceParam, name: NameParam });

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
      fields: z
        .array(z.object({ field: z.string(), message: z.string() }))
        .optional()
        .openapi({ description: 'The fields that are invalid (on a 400 or 422)' }),
    }),
  })
  .openapi('Error');

export const UserSchema = z.object({ username: z.string(), groups: z.array(z.string()), via: z.enum(['token', 'proxy']) }).openapi('User');

export const StageSummarySchema = z.object({ name: z.string(), phase: z.string(), attempt: z.number().int().optional() });

export const EpisodeSummarySchema = z
  .looseObject({
    namespace: z.string(),
    name: z.string(),
    uid: z.string(),
    channel: z.string(),
    topic: z.string(),
    phase: z.string(),
    progress: z.string().optional(),
    progressRatio: z.number(),
    currentStage: z.string().optional(),
    message: z.string().optional(),
    createdAt: z.string().optional(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    totalCostUSD: z.number(),
    suspended: z.boolean(),
    cancelled: z.boolean(),
    stages: z.array(StageSummarySchema),
  })
  .openapi('EpisodeSummary');

export const EpisodePageSchema = z
  .object({ items: z.array(EpisodeSummarySchema), total: z.number().int(), continue: z.string().optional() })
  .openapi('EpisodePage');

export const StageViewSchema = z
  .looseObject({
    name: z.string(),
    phase: z.string(),
    dependsOn: z.array(z.string()),
    attempt: z.number().int().optional(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    message: z.string().optional(),
    costUSD: z.number().optional(),
    artifacts: z.array(z.string()),
    gate: z.boolean(),
    approvedAt: z.string().optional(),
  })
  .openapi('Stage');

export const EpisodeDetailSchema = z
  .looseObject({
    summary: EpisodeSummarySchema,
    spec: z.record(z.string(), z.unknown()),
    stages: z.array(StageViewSchema),
    waitingGates: z.array(z.string()),
    artifacts: z.record(z.string(), z.string()).openapi({ description: 'Final artifact name → the URL the gateway serves it at' }),
    jobs: z.array(z.object({ name: z.string(), state: z.string() })),
    events: z.array(z.object({ reason: z.string().optional(), message: z.string().optional() })),
  })
  .openapi('EpisodeDetail');

export const ChannelSummarySchema = z
  .looseObject({
    namespace: z.string(),
    name: z.string(),
    persona: z.string(),
    ready: z.boolean(),
    readyReason: z.string().optional(),
    readyMessage: z.string().optional(),
    spendUSD: z.number(),
  })
  .openapi('ChannelSummary');

export const ChannelPageSchema = z
  .object({ items: z.array(ChannelSummarySchema), total: z.number().int(), continue: z.string().optional() })
  .openapi('ChannelPage');

export const ChannelDetailSchema = z
  .looseObject({
    summary: ChannelSummarySchema,
    spec: z.record(z.string(), z.unknown()),
    conditions: z.array(z.object({ type: z.string(), status: z.string() })),
    recentEpisodes: z.array(EpisodeSummarySchema),
    events: z.array(z.object({ reason: z.string().optional() })),
  })
  .openapi('ChannelDetail');

export const StageBodySchema = z
  .object({ stage: z.enum(STAGES as [string, ...string[]]).optional() })
  .openapi('StageRequest', { description: 'The stage to act on; the plugin default when absent' });

export const ActionResultSchema = z.object({ message: z.string(), episode: EpisodeSummarySchema }).openapi('ActionResult');

export const EpisodeCreateSchema = z
  .record(z.string(), z.unknown())
  .openapi('EpisodeManifest', { description: 'An Episode (acog.dev/v1alpha1); apiVersion, kind and namespace may be left out' });

export const ValidationResultSchema = z
  .object({ valid: z.boolean(), fields: z.array(z.object({ field: z.string(), message: z.string() })) })
  .openapi('ValidationResult');

export const PermissionsSchema = z
  .record(z.string(), z.object({ allowed: z.boolean(), reason: z.string().optional() }))
  .openapi('Permissions', { description: 'Action → whether the user may do it, and why not' });

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const errorResponses = {
  400: jsonContent(ErrorSchema, 'Bad input; the message names the field'),
  401: jsonContent(ErrorSchema, 'No credentials, or the token was not accepted'),
  403: jsonContent(ErrorSchema, 'Forbidden; `missing` names the permission'),
};
