import { describe, expect, it } from 'vitest';
import { validateChannel, validateEpisode } from '@acog/api';
import { checkRunnerConfig } from '../config/runner-config.ts';
import { labelValue, PERMANENT_FAILURE_EXIT_CODE } from '@acog/api';
import { buildStageJob, CREDENTIAL_ENV, JobRefused, stageJobName } from './job.ts';

const channel = validateChannel({
  apiVersion: 'acog.dev/v1alpha1',
  kind: 'Channel',
  metadata: { name: 'ch' },
  spec: {
    persona: { name: 'Ada', tone: 'warm', audience: 'developers' },
    format: { aspectRatio: '16:9', targetDurationSeconds: 60 },
    providers: {
      llm: { provider: 'openai', secretRef: { name: 'openai', key: 'token' } },
      publisher: { provider: 'youtube', secretRef: { name: 'yt' } },
    },
  },
}).value;
const episode = validateEpisode({
  apiVersion: 'acog.dev/v1alpha1',
  kind: 'Episode',
  metadata: { name: 'ep' },
  spec: { channelRef: { name: 'ch' }, topic: 'How indexes work' },
}).value;
const config = checkRunnerConfig({
  image: 'registry.example/acog/runner:1.0',
  imagePullSecrets: ['regcred'],
  nodeSelector: { pool: 'media' },
  tolerations: [{ key: 'media', operator: 'Exists' }],
  runtimeClassName: 'gvisor',
  env: { ACOG_S3_ENDPOINT: 'http://s3:9000', ACOG_NATS_URL: 'nats://nats:4222' },
  storageCredentials: { secretName: 'acog-storage' },
  defaults: { resources: { requests: { cpu: '250m', memory: '256Mi' } } },
  stages: { assemble: { resources: { requests: { cpu: '2', memory: '2Gi' } }, activeDeadlineSeconds: 7200 } },
});

// The parts of a pod spec the assertions read.
interface PodSpec {
  [field: string]: unknown;
  containers: {
    name: string;
    image: string;
    args: string[];
    env: unknown[];
    resources: unknown;
    securityContext: unknown;
    volumeMounts: { mountPath: string }[];
  }[];
}

function job(stage: 'plan' | 'assemble' | 'upload') {
  return buildStageJob(
    {
      episode: { name: 'ep', namespace: 'team-a', uid: 'uid-1', spec: episode.spec },
      channel: { name: 'ch', spec: channel.spec },
      stage,
      attempt: 2,
      inputHash: 'sha256:abc',
      inputUri: `s3://acog-scripts/team-a/ep/uid-1/${stage}/2/input.json`,
    },
    config,
  ) as {
    metadata: { name: string; labels: Record<string, string> };
    spec: { activeDeadlineSeconds: number; backoffLimit: number; podFailurePolicy: unknown; template: { spec: PodSpec } };
  };
}

describe('stageJobName', () => {
  it('is deterministic, fits 63 characters and differs by uid, attempt and inputs', () => {
    const name = stageJobName({ name: 'ep', uid: 'u' }, 'voice', 1, 'sha256:a');
    expect(name).toMatch(/^ep-voice-1-[0-9a-f]{6}$/);
    expect(stageJobName({ name: 'ep', uid: 'u' }, 'voice', 1, 'sha256:a')).toBe(name);
    expect(stageJobName({ name: 'ep', uid: 'v' }, 'voice', 1, 'sha256:a')).not.toBe(name);
    expect(stageJobName({ name: 'ep', uid: 'u' }, 'voice', 2, 'sha256:a')).not.toBe(name);
    const long = stageJobName({ name: `${'a'.repeat(60)}-b`, uid: 'u' }, 'metadata', 10, 'sha256:a');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^a+-metadata-10-[0-9a-f]{6}$/);
  });

  it('labelValue keeps short values and shortens long ones uniquely', () => {
    expect(labelValue('ep')).toBe('ep');
    const a = labelValue(`${'x'.repeat(70)}a`);
    const b = labelValue(`${'x'.repeat(70)}b`);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
  });
});

describe('buildStageJob', () => {
  it('runs the stage with the runner image, non-root, read-only, without a service-account token', () => {
    const plan = job('plan');
    const pod = plan.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const [container] = pod.containers;
    expect(container.image).toBe('registry.example/acog/runner:1.0');
    expect(container.args).toEqual(['plan', '--input', 's3://acog-scripts/team-a/ep/uid-1/plan/2/input.json']);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toEqual(['/scratch', '/tmp']);
    expect(pod.nodeSelector).toEqual({ pool: 'media' });
    expect(pod.runtimeClassName).toBe('gvisor');
    expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(plan.metadata.labels).toMatchObject({
      'acog.dev/episode': 'ep',
      'acog.dev/stage': 'plan',
      'acog.dev/attempt': '2',
      'acog.dev/channel': 'ch',
    });
  });

  it('fails the Job by its pod failure policy when the runner says another attempt would fail the same way', () => {
    const plan = job('plan');
    expect(plan.spec.backoffLimit).toBe(0);
    expect(plan.spec.podFailurePolicy).toEqual({
      rules: [{ action: 'FailJob', onExitCodes: { containerName: 'runner', operator: 'In', values: [PERMANENT_FAILURE_EXIT_CODE] } }],
    });
    expect(plan.spec.template.spec.containers[0].name).toBe('runner');
  });

  it('passes provider keys and storage credentials only as secretKeyRef', () => {
    const env = job('plan').spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[];
    expect(env.find((e) => e.name === 'OPENAI_API_KEY')).toEqual({
      name: 'OPENAI_API_KEY',
      valueFrom: { secretKeyRef: { name: 'openai', key: 'token' } },
    });
    expect(env.find((e) => e.name === 'AWS_SECRET_ACCESS_KEY')).toEqual({
      name: 'AWS_SECRET_ACCESS_KEY',
      valueFrom: { secretKeyRef: { name: 'acog-storage', key: 'AWS_SECRET_ACCESS_KEY' } },
    });
    expect(env.find((e) => e.name === 'ACOG_STAGE_INPUT')?.value).toContain('/plan/2/input.json');
    const upload = job('upload').spec.template.spec.containers[0].env as {
      name: string;
      valueFrom?: { secretKeyRef: { name: string; key: string } };
    }[];
    expect(upload.filter((e) => e.name.startsWith('YOUTUBE_')).map((e) => [e.name, e.valueFrom?.secretKeyRef])).toEqual([
      ['YOUTUBE_CLIENT_ID', { name: 'yt', key: 'YOUTUBE_CLIENT_ID' }],
      ['YOUTUBE_CLIENT_SECRET', { name: 'yt', key: 'YOUTUBE_CLIENT_SECRET' }],
      ['YOUTUBE_REFRESH_TOKEN', { name: 'yt', key: 'YOUTUBE_REFRESH_TOKEN' }],
    ]);
    expect(upload.some((e) => e.name === 'OPENAI_API_KEY')).toBe(false);
  });

  it("gives the runner its namespace's NATS user only by secretKeyRef, when the configuration names one", () => {
    const withNats = checkRunnerConfig({ image: 'acog/runner:dev', natsCredentials: { secretName: 'acog-nats-runner' } });
    const built = buildStageJob(
      {
        episode: { name: 'ep', namespace: 'team-a', uid: 'uid-1', spec: episode.spec },
        channel: { name: 'ch', spec: channel.spec },
        stage: 'plan',
        attempt: 1,
        inputHash: 'sha256:abc',
        inputUri: 's3://acog-scripts/team-a/ep/uid-1/plan/1/input.json',
      },
      withNats,
    ) as { spec: { template: { spec: PodSpec } } };
    const env = built.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[];
    expect(env.filter((e) => e.name.startsWith('ACOG_NATS_U') || e.name === 'ACOG_NATS_PASSWORD')).toEqual([
      { name: 'ACOG_NATS_USER', valueFrom: { secretKeyRef: { name: 'acog-nats-runner', key: 'ACOG_NATS_USER' } } },
      { name: 'ACOG_NATS_PASSWORD', valueFrom: { secretKeyRef: { name: 'acog-nats-runner', key: 'ACOG_NATS_PASSWORD' } } },
    ]);
    expect((job('plan').spec.template.spec.containers[0].env as { name: string }[]).some((e) => e.name === 'ACOG_NATS_PASSWORD')).toBe(
      false,
    );
    expect(() => checkRunnerConfig({ image: 'acog/runner:dev', env: { ACOG_NATS_PASSWORD: 'x' } })).toThrow(
      /env.ACOG_NATS_PASSWORD: set by the operator/,
    );
  });

  it('takes resources and the deadline per stage from the configuration', () => {
    expect(job('assemble').spec.activeDeadlineSeconds).toBe(7200);
    expect(job('assemble').spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '2', memory: '2Gi' } });
    expect(job('plan').spec.activeDeadlineSeconds).toBe(3600);
    expect(job('plan').spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' } });
  });
});

describe('buildStageJob and credentials', () => {
  type Env = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
  const overriding = (providers: object, channelEdit?: (spec: typeof channel.spec) => void) => {
    const spec = structuredClone(channel.spec);
    channelEdit?.(spec);
    return (stage: 'plan' | 'voice' | 'upload', runner = config) =>
      buildStageJob(
        {
          episode: {
            name: 'ep',
            namespace: 'team-a',
            uid: 'uid-1',
            spec: { ...episode.spec, overrides: { providers } } as typeof episode.spec,
          },
          channel: { name: 'ch', spec },
          stage,
          attempt: 1,
          inputHash: 'sha256:abc',
          inputUri: `s3://acog-scripts/team-a/ep/uid-1/${stage}/1/input.json`,
        },
        runner,
      ) as { spec: { template: { spec: PodSpec } } };
  };
  const envOf = (built: { spec: { template: { spec: PodSpec } } }) => built.spec.template.spec.containers[0].env as Env;

  it('never carries a credential as a value: every credential variable of every stage is a secretKeyRef', () => {
    for (const stage of ['plan', 'script', 'refine', 'metadata', 'voice', 'avatar', 'broll', 'assemble', 'upload'] as const) {
      const env = buildStageJob(
        {
          episode: { name: 'ep', namespace: 'team-a', uid: 'uid-1', spec: episode.spec },
          channel: { name: 'ch', spec: channel.spec },
          stage,
          attempt: 1,
          inputHash: 'sha256:abc',
          inputUri: 's3://acog-scripts/team-a/ep/uid-1/x/1/input.json',
        },
        config,
      ) as { spec: { template: { spec: PodSpec } } };
      for (const variable of envOf(env)) {
        if (CREDENTIAL_ENV.has(variable.name))
          expect(variable, `${stage} ${variable.name}`).toEqual({ name: variable.name, valueFrom: expect.anything() });
        if (variable.value === undefined) expect(variable.valueFrom?.secretKeyRef, `${stage} ${variable.name}`).toBeDefined();
      }
    }
  });

  it('refuses a runner configuration that would put a provider key into env as a value', () => {
    const leaky = checkRunnerConfig({ image: 'runner:1', env: { OPENAI_API_KEY: 'sk-live-123' } });
    expect(() => overriding({})('voice', leaky)).toThrow(JobRefused);
    expect(() => overriding({})('voice', leaky)).toThrow(/OPENAI_API_KEY carries a credential and may reach a Job only from a Secret/);
  });

  it("refuses the Job when the stage's effective provider names a Secret the Channel does not allow", () => {
    const build = overriding({ llm: { provider: 'openai', secretRef: { name: 'someone-elses-key' } } });
    expect(() => build('plan')).toThrow(JobRefused);
    expect(() => build('plan')).toThrow(
      /refusing the Job of plan .*spec\.overrides\.providers\.llm\.secretRef: Secret "someone-elses-key"/,
    );
    // Stages of other capabilities are not this override's: their Jobs carry only their own Secrets.
    expect(envOf(build('upload')).some((e) => e.valueFrom?.secretKeyRef.name === 'someone-elses-key')).toBe(false);
  });

  it('refuses the Job when an override sends the key to a base URL the Channel does not allow', () => {
    const build = overriding({
      llm: { provider: 'openai', secretRef: { name: 'openai', key: 'token' }, baseURL: 'https://collector.example/v1' },
    });
    expect(() => build('plan')).toThrow(
      /spec\.overrides\.providers\.llm\.baseURL: https:\/\/collector\.example\/v1 is not the Channel's own base URL/,
    );
  });

  it("maps the Secret an override may use: the Channel's own, or one it lists in episodeOverrides", () => {
    const own = overriding({ llm: { provider: 'openai', model: 'gpt-4.1', secretRef: { name: 'openai', key: 'token' } } });
    expect(envOf(own('plan')).find((e) => e.name === 'OPENAI_API_KEY')?.valueFrom).toEqual({
      secretKeyRef: { name: 'openai', key: 'token' },
    });
    const listed = overriding({ llm: { provider: 'openai', secretRef: { name: 'team-openai' } } }, (spec) => {
      spec.episodeOverrides = { secretRefs: [{ name: 'team-openai' }] };
    });
    expect(envOf(listed('plan')).find((e) => e.name === 'OPENAI_API_KEY')?.valueFrom).toEqual({
      secretKeyRef: { name: 'team-openai', key: 'OPENAI_API_KEY' },
    });
  });
});
