// The Job of one stage attempt, exactly as DESIGN.md specifies: a deterministic name, an
// ownerReference to the Episode, labels, the runner image with the stage as argument, provider
// secrets as secretKeyRef, no service-account token, non-root, read-only root filesystem,
// a deadline and a TTL. Pure: the same inputs always give the same Job.
//
// Credentials reach a Job only as secretKeyRef, never as a value in its spec; and only the Secret
// the stage's effective provider may use: an Episode override naming a Secret (or a base URL to
// send it to) that its Channel does not allow gets no Job. The reconciler holds such an Episode
// already (OverrideNotAllowed); this is the second line.
import { createHash } from 'node:crypto';
import {
  API_VERSION,
  DEFAULT_SECRET_KEYS,
  EPISODES,
  LABELS,
  labelValue,
  overrideProblems,
  PERMANENT_FAILURE_EXIT_CODE,
  secretNeed,
  STAGE_CAPABILITY,
  stageProvider,
  type ChannelSpec,
  type EpisodeSpec,
  type StageName,
  YOUTUBE_KEYS,
} from '@acog/api';
import { stageSettings, type RunnerConfig } from '../config/runner-config.ts';

export interface JobEpisode {
  name: string;
  namespace: string;
  uid: string;
  spec: EpisodeSpec;
}

export interface StageJobRequest {
  episode: JobEpisode;
  channel: { name: string; spec: ChannelSpec };
  stage: StageName;
  attempt: number;
  inputHash: string;
  /** Where the operator wrote the stage input. */
  inputUri: string;
}

/** Annotation on a Job: the input hash of its attempt. */
export const INPUT_HASH_ANNOTATION = 'acog.dev/input-hash';

const MAX_NAME = 63;

/** Variables that carry credentials: in a Job only ever as secretKeyRef. */
export const CREDENTIAL_ENV: ReadonlySet<string> = new Set([
  ...Object.values(DEFAULT_SECRET_KEYS),
  ...YOUTUBE_KEYS,
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'ACOG_NATS_PASSWORD',
]);

/** A Job the operator will not build: its message says why. */
export class JobRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobRefused';
  }
}

/**
 * <episode>-<stage>-<attempt>-<digest>: the digest covers the episode's uid and the input hash, so
 * a recreated Episode of the same name never meets its predecessor's Jobs. A long episode name is
 * cut; the digest keeps the name unique.
 */
export function stageJobName(episode: { name: string; uid: string }, stage: StageName, attempt: number, inputHash: string): string {
  const digest = createHash('sha256').update(`${episode.uid}/${stage}/${attempt}/${inputHash}`).digest('hex').slice(0, 6);
  const suffix = `-${stage}-${attempt}-${digest}`;
  const head = episode.name.slice(0, MAX_NAME - suffix.length).replace(/[-.]+$/, '');
  return `${head}${suffix}`;
}

export function stageJobLabels(episode: { name: string }, channel: string, stage: StageName, attempt: number): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'acog-runner',
    'app.kubernetes.io/component': 'stage',
    'app.kubernetes.io/managed-by': 'acog-operator',
    [LABELS.episode]: labelValue(episode.name),
    [LABELS.channel]: labelValue(channel),
    [LABELS.stage]: stage,
    [LABELS.attempt]: String(attempt),
  };
}

function envVar(name: string, value: string) {
  if (CREDENTIAL_ENV.has(name))
    throw new JobRefused(`${name} carries a credential and may reach a Job only from a Secret (secretKeyRef), not as a value in env`);
  return { name, value };
}

function secretEnv(name: string, secret: string, key: string) {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

export function buildStageJob(request: StageJobRequest, config: RunnerConfig): Record<string, unknown> {
  const { episode, channel, stage, attempt, inputHash, inputUri } = request;
  const capability = STAGE_CAPABILITY[stage];
  if (capability) {
    const field = `spec.overrides.providers.${capability}.`;
    const refused = overrideProblems(channel.spec, episode.spec).filter((problem) => problem.field.startsWith(field));
    if (refused.length)
      throw new JobRefused(
        `refusing the Job of ${stage} for episode ${episode.namespace}/${episode.name}: ${refused.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
      );
  }
  const settings = stageSettings(config, stage);
  const labels = stageJobLabels(episode, channel.name, stage, attempt);
  const env: object[] = Object.entries(config.env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => envVar(name, value));
  env.push(envVar('ACOG_STAGE_INPUT', inputUri));
  if (config.storageCredentials) {
    const { secretName, accessKeyIdKey, secretAccessKeyKey } = config.storageCredentials;
    env.push(
      secretEnv('AWS_ACCESS_KEY_ID', secretName, accessKeyIdKey),
      secretEnv('AWS_SECRET_ACCESS_KEY', secretName, secretAccessKeyKey),
    );
  }
  if (config.natsCredentials) {
    const { secretName, userKey, passwordKey } = config.natsCredentials;
    env.push(secretEnv('ACOG_NATS_USER', secretName, userKey), secretEnv('ACOG_NATS_PASSWORD', secretName, passwordKey));
  }
  const need = capability ? secretNeed(capability, stageProvider(stage, channel.spec, episode.spec)) : undefined;
  for (const [name, key] of Object.entries(need?.env ?? {})) env.push(secretEnv(name, need!.secret, key));

  const securityContext = {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: stageJobName(episode, stage, attempt, inputHash),
      namespace: episode.namespace,
      labels,
      annotations: { [INPUT_HASH_ANNOTATION]: inputHash },
      ownerReferences: [
        { apiVersion: API_VERSION, kind: EPISODES.kind, name: episode.name, uid: episode.uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      // The operator retries with its own policy and backoff: one pod per attempt.
      backoffLimit: 0,
      // A runner that exits with PERMANENT_FAILURE_EXIT_CODE fails the Job with the reason
      // PodFailurePolicy, which tells the operator that another attempt would fail the same way.
      podFailurePolicy: {
        rules: [{ action: 'FailJob', onExitCodes: { containerName: 'runner', operator: 'In', values: [PERMANENT_FAILURE_EXIT_CODE] } }],
      },
      activeDeadlineSeconds: settings.activeDeadlineSeconds,
      ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(config.serviceAccountName && { serviceAccountName: config.serviceAccountName }),
          ...(config.imagePullSecrets?.length && { imagePullSecrets: config.imagePullSecrets.map((name) => ({ name })) }),
          ...(config.nodeSelector && Object.keys(config.nodeSelector).length && { nodeSelector: config.nodeSelector }),
          ...(config.tolerations?.length && { tolerations: config.tolerations }),
          ...(config.runtimeClassName && { runtimeClassName: config.runtimeClassName }),
          ...(config.priorityClassName && { priorityClassName: config.priorityClassName }),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            fsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'runner',
              image: config.image,
              ...(config.imagePullPolicy && { imagePullPolicy: config.imagePullPolicy }),
              args: [stage, '--input', inputUri],
              env,
              resources: settings.resources,
              securityContext,
              terminationMessagePolicy: 'FallbackToLogsOnError',
              volumeMounts: [
                { name: 'scratch', mountPath: '/scratch' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'scratch', emptyDir: {} },
            { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  };
}
