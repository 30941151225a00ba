// The chart at the repository root: helm lint, what the package holds, values.schema.json and the
// chart's own checks refusing wrong values with the field named, and what every value set renders:
// hardened Pods, secrets only by reference, and a runner configuration the operator accepts.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { STAGES } from '@acog/api';
import { checkRunnerConfig, DEFAULT_STAGE_SLOTS } from '@acog/operator';
import {
  chartTools,
  exec,
  find,
  helm,
  namespaces,
  podTemplates,
  render,
  succeeded,
  template,
  TOOLS_BUILD_TIMEOUT,
  VALUE_SETS,
  type Manifest,
  type PodSpec,
  type Values,
} from './support.ts';

beforeAll(() => chartTools(), TOOLS_BUILD_TIMEOUT);

describe('helm lint and the package', () => {
  it('lints clean, warnings included (--strict)', async () => {
    const result = await helm(['lint', '.', '--strict']);
    expect(result.stdout + result.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.stdout + result.stderr).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(result.code).toBe(0);
  });

  it('packages the chart alone: .helmignore keeps the rest of the repository out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acog-package-'));
    try {
      const out = succeeded(await helm(['package', '.', '--destination', dir]), 'helm package');
      const archive = /saved it to: (\S+)/.exec(out)?.[1];
      expect(archive).toBe(join(dir, 'acog-0.1.0.tgz'));
      const files = succeeded(await exec('tar', ['-tzf', archive!]), 'tar')
        .trim()
        .split('\n');
      const allowed =
        /^acog\/(Chart\.yaml|values\.yaml|values\.schema\.json|README\.md|\.helmignore|crds\/[^/]+\.yaml|templates\/[^/]+|charts\/(operator|console|nats|minio|postgresql)\/(Chart\.yaml|values\.yaml|templates\/[^/]+))$/;
      expect(files.filter((file) => !allowed.test(file))).toEqual([]);
      expect(files).toEqual(
        expect.arrayContaining([
          'acog/Chart.yaml',
          'acog/values.schema.json',
          'acog/crds/acog.dev_channels.yaml',
          'acog/crds/acog.dev_episodes.yaml',
          'acog/templates/NOTES.txt',
          'acog/charts/operator/templates/deployment.yaml',
          'acog/charts/console/templates/deployment.yaml',
          'acog/charts/console/templates/rbac.yaml',
        ]),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('wrong values are refused, naming the field', () => {
  const refused: [string, Values, RegExp][] = [
    ['a string for a number', { operator: { replicas: 'two' } }, /at '\/operator\/replicas': got string, want integer/],
    ['a misspelt key', { operator: { replica: 2 } }, /at '\/operator': additional properties 'replica' not allowed/],
    [
      'an unknown stage',
      { operator: { runner: { stages: { assembel: { activeDeadlineSeconds: 600 } } } } },
      /at '\/operator\/runner\/stages': additional properties 'assembel' not allowed/,
    ],
    [
      'a quantity that is not one',
      { operator: { runner: { defaults: { resources: { limits: { memory: 'lots' } } } } } },
      /at '\/operator\/runner\/defaults\/resources\/limits\/memory'/,
    ],
    ['a log level that does not exist', { operator: { logLevel: 'verbose' } }, /at '\/operator\/logLevel': value must be one of/],
    [
      'a namespace that cannot be one',
      { global: { episodeNamespaces: ['Team_A'] } },
      /at '\/global\/episodeNamespaces\/0': 'Team_A' does not match pattern/,
    ],
    [
      'a NATS URL of another scheme',
      { global: { nats: { bundled: false, url: 'http://nats:4222' } } },
      /at '\/global\/nats\/url': 'http:\/\/nats:4222' does not match pattern/,
    ],
    [
      'a pull policy that does not exist',
      { nats: { image: { pullPolicy: 'Sometimes' } } },
      /at '\/nats\/image\/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'/,
    ],
    [
      'a CIDR that is not one',
      { global: { s3: { egressCIDRs: ['10.0.0.0'] } } },
      /at '\/global\/s3\/egressCIDRs\/0': '10.0.0.0' does not match pattern/,
    ],
    [
      'a missing memory limit',
      { operator: { resources: { requests: { cpu: '1', memory: '1Gi' }, limits: null } } },
      /at '\/operator\/resources'/,
    ],
    ['no NATS at all', { global: { nats: { bundled: false } } }, /global\.nats\.url: give the URL of your NATS/],
    [
      'your NATS and the bundled one',
      { global: { nats: { url: 'nats://nats.messaging:4222' } } },
      /global\.nats\.url is set while global\.nats\.bundled is true/,
    ],
    [
      'your S3 and the bundled one',
      { global: { s3: { endpoint: 'https://s3.example.com' } } },
      /global\.s3\.endpoint is set while global\.s3\.bundled is true/,
    ],
    [
      'no database at all',
      { global: { postgres: { bundled: false } } },
      /global\.postgres\.existingSecret: name the Secret holding your PostgreSQL's URL/,
    ],
    [
      'replicas without leader election',
      { operator: { leaderElection: { enabled: false } } },
      /operator\.leaderElection\.enabled is false with operator\.replicas > 1/,
    ],
    ['a misspelt console key', { console: { replica: 2 } }, /at '\/console': additional properties 'replica' not allowed/],
    [
      'a console Service type that does not exist',
      { console: { service: { type: 'External' } } },
      /at '\/console\/service\/type': value must be one of 'ClusterIP', 'NodePort', 'LoadBalancer'/,
    ],
    [
      'a console Ingress without a host',
      { console: { ingress: { enabled: true } } },
      /console\.ingress\.host: give the console's host name/,
    ],
    [
      'S3 keys as plain runner settings',
      { operator: { runner: { env: { AWS_SECRET_ACCESS_KEY: 'x' } } } },
      /operator\.runner\.env\.AWS_SECRET_ACCESS_KEY: set by the operator/,
    ],
  ];
  it.each(refused)('%s', async (_what, values, message) => {
    const result = await template('acog', 'acog', values);
    expect(result.stderr).toMatch(message);
    expect(result.code).not.toBe(0);
  });

  it('the same values through helm install are refused', async () => {
    const result = await helm(['install', 'acog', '.', '--namespace', 'acog', '--dry-run=client', '--set', 'operator.replicas=two']);
    expect(result.stderr).toContain("at '/operator/replicas': got string, want integer");
    expect(result.code).not.toBe(0);
  });
});

type ContainerSecurity = {
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
};

describe.each(Object.entries(VALUE_SETS))('rendered with %s', (_name, valuesOf) => {
  const ns = namespaces('acog');
  let manifests: Manifest[];
  beforeAll(async () => {
    manifests = await render('acog', ns.release, valuesOf(ns));
  }, TOOLS_BUILD_TIMEOUT);

  it('hardens every Pod: non-root, read-only root, no capabilities, RuntimeDefault seccomp, requests and limits', () => {
    const pods = podTemplates(manifests);
    expect(pods.length).toBeGreaterThanOrEqual(1);
    for (const { source, spec } of pods) {
      expect(spec.securityContext, source).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
        const where = `${source} ${container.name}`;
        const security = container.securityContext as ContainerSecurity;
        expect(security, where).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(security.capabilities?.add, where).toBeUndefined();
        expect(container.resources?.requests, where).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
        expect(container.resources?.limits, where).toMatchObject({ memory: expect.anything() });
      }
    }
  });

  it('mounts a ServiceAccount token into the operator and the console alone', () => {
    for (const { source, spec } of podTemplates(manifests)) {
      expect(spec.automountServiceAccountToken, source).toBe(['Deployment/acog-operator', 'Deployment/acog-console'].includes(source));
    }
    for (const account of manifests.filter((m) => m.kind === 'ServiceAccount')) {
      expect(account.automountServiceAccountToken, account.metadata.name).toBe(false);
    }
  });

  it('holds no secret in clear: Secrets only of generated keys, credentials only through secretKeyRef', () => {
    const secrets = manifests.filter((m) => m.kind === 'Secret');
    // Only the bundled services' generated keys are ever templated, never a provider's: MinIO's root
    // key, its tenants' keys (all, and each runner's in its namespace), PostgreSQL's password and the
    // bundled NATS's users (its server config, and the operator's, the console's and each namespace's runners').
    // And the history API's serving certificate and key (generated, not a credential of anyone's).
    for (const secret of secrets)
      expect(secret.metadata.name).toMatch(
        /^acog-(s3|s3-tenants|s3-runner|postgresql|nats-auth|nats-operator|nats-console|nats-runner|console-history-api-tls)$/,
      );
    for (const { source, spec } of podTemplates(manifests)) {
      for (const container of spec.containers) {
        for (const variable of container.env ?? []) {
          if (/KEY|SECRET|PASSWORD|TOKEN/.test(variable.name) && variable.name.endsWith('_FILE')) {
            // A file of a mounted Secret, never the secret itself.
            const mount = container.volumeMounts?.find((m) => variable.value?.startsWith(`${m.mountPath}/`));
            const volume = spec.volumes?.find((v) => v.name === mount?.name) as { secret?: { secretName: string } } | undefined;
            expect(volume?.secret?.secretName, `${source} ${variable.name}`).toBeDefined();
          } else if (/KEY|SECRET|PASSWORD|TOKEN/.test(variable.name)) {
            expect(variable.value, `${source} ${variable.name}`).toBeUndefined();
            expect(variable.valueFrom?.secretKeyRef, `${source} ${variable.name}`).toBeDefined();
          }
        }
      }
    }
    const rendered = JSON.stringify(manifests.filter((m) => m.kind !== 'Secret'));
    for (const key of ['OPENAI_API_KEY', 'ELEVENLABS_API_KEY', 'HEYGEN_API_KEY', 'RUNWAY_API_KEY', 'YOUTUBE_CLIENT_SECRET'])
      expect(rendered).not.toContain(key);
    // No generated password or secret key is written anywhere but in its Secret, in clear or in base64.
    for (const secret of secrets) {
      const entries = [
        ...Object.entries((secret.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
        ...Object.entries((secret.stringData ?? {}) as Record<string, string>),
      ];
      for (const [key, value] of entries.filter(([k]) => /password|secret/i.test(k))) {
        expect(value.length, `${secret.metadata.name} ${key}`).toBeGreaterThanOrEqual(20);
        expect(rendered, `${secret.metadata.name} ${key}`).not.toContain(value);
        expect(rendered, `${secret.metadata.name} ${key}`).not.toContain(Buffer.from(value).toString('base64'));
      }
    }
  });

  it('gives the operator a runner configuration that the operator itself accepts', () => {
    const configMap = find(manifests, 'ConfigMap', 'acog-runner-config', ns.release);
    const raw = parse((configMap.data as Record<string, string>)['runner.yaml']);
    const config = checkRunnerConfig(raw, 'the chart runner configuration');
    expect(config.image).toMatch(/acog\/runner:dev$/);
    expect(config.serviceAccountName).toBe('acog-runner');
    expect(Object.keys(config.stages).every((stage) => (STAGES as readonly string[]).includes(stage))).toBe(true);
    expect(config.env.ACOG_NATS_URL).toMatch(/^(nats|tls):\/\//);
    // The operator rolls when the runner configuration changes.
    const deployment = find(manifests, 'Deployment', 'acog-operator', ns.release);
    const annotations = (deployment.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata
      .annotations;
    expect(annotations['checksum/runner-config']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sets only environment variables the operator reads', async () => {
    const deployment = find(manifests, 'Deployment', 'acog-operator', ns.release);
    const container = (deployment.spec as { template: { spec: { containers: { env: { name: string }[] }[] } } }).template.spec
      .containers[0];
    const help = await operatorHelp();
    // Read outside commander's options: the AWS SDK (region, keys), the NATS user (@acog/api's
    // natsAuth), the leader-election switch, Node.js and glibc.
    const readElsewhere = new Set([
      'AWS_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      ...NATS_USER_ENV,
      // The bundled PostgreSQL's password, read by node-postgres beside ACOG_DATABASE_URL.
      'PGPASSWORD',
      'ACOG_LEADER_ELECT',
      'NODE_OPTIONS',
      'MALLOC_ARENA_MAX',
    ]);
    for (const { name } of container.env) {
      if (!readElsewhere.has(name)) expect(help, `${name} is not an option of acog-operator`).toContain(`env: ${name}`);
    }
    expectNatsUser(operatorEnv(manifests, ns.release), bundledNats(valuesOf(ns)) ? 'acog-nats-operator' : undefined);
  });

  it('runs the console as the gateway expects: only variables it reads, its probes, its port', async () => {
    const deployment = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'acog-console');
    const enabled = (valuesOf(ns).console as { enabled?: boolean } | undefined)?.enabled !== false;
    expect(Boolean(deployment), 'a console Deployment').toBe(enabled);
    expect(manifests.filter((m) => m.metadata.name === 'acog-console').length > 0).toBe(enabled);
    if (!deployment) return;
    const container = (deployment.spec as { template: { spec: PodSpec } }).template.spec.containers[0];
    const help = await consoleHelp();
    // Read outside the gateway's flags: the AWS SDK's region and keys, the NATS user (@acog/api's natsAuth).
    // PGPASSWORD: the bundled PostgreSQL's password, read by node-postgres beside ACOG_DATABASE_URL.
    const readElsewhere = new Set(['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', ...NATS_USER_ENV, 'PGPASSWORD']);
    for (const { name } of container.env ?? []) {
      if (!readElsewhere.has(name)) expect(help, `${name} is not read by acog-console`).toContain(name);
    }
    const env = Object.fromEntries((container.env ?? []).map(({ name, ...rest }) => [name, rest]));
    // Its own NATS user, with the URL only (the console opens NATS for webhooks alone).
    expectNatsUser(env, env.ACOG_NATS_URL && bundledNats(valuesOf(ns)) ? 'acog-nats-console' : undefined);
    expect(env.ACOG_CONSOLE_HTTP_ADDRESS).toEqual({ value: '0.0.0.0:8080' });
    expect(container.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' } });
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'http' } });
    const service = find(manifests, 'Service', 'acog-console', ns.release);
    expect((service.spec as { ports: unknown[] }).ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'history-api', port: 443, targetPort: 'history-api', protocol: 'TCP' },
    ]);
    // The aggregated API history.acog.dev, on its TLS port, with the chart's serving certificate.
    expect(env.ACOG_CONSOLE_AGGREGATED_ADDRESS).toEqual({ value: '0.0.0.0:8443' });
    expect(env.ACOG_CONSOLE_AGGREGATED_TLS_CERT_FILE).toEqual({ value: '/etc/acog/history-api/tls.crt' });
    expect(container.volumeMounts).toEqual([{ name: 'history-api-tls', mountPath: '/etc/acog/history-api', readOnly: true }]);
  });
});

/** The NATS user of a process (@acog/api's natsAuth reads them). */
const NATS_USER_ENV = ['ACOG_NATS_USER', 'ACOG_NATS_PASSWORD'];

function bundledNats(values: Values): boolean {
  return (values.global as { nats?: { bundled?: boolean } } | undefined)?.nats?.bundled !== false;
}

/** The NATS user and password of a process: both by secretKeyRef from `secret`, or neither when undefined. */
function expectNatsUser(env: Record<string, unknown>, secret: string | undefined): void {
  for (const name of NATS_USER_ENV)
    expect(env[name], name).toEqual(secret ? { valueFrom: { secretKeyRef: { name: secret, key: name } } } : undefined);
}

let consoleHelpText: Promise<string> | undefined;
/** acog-console --help, from the sources (test/helm/console-image.test.ts checks the image's). */
function consoleHelp(): Promise<string> {
  consoleHelpText ??= exec(process.execPath, ['console/src/main.ts', '--help']).then((result) => succeeded(result, 'acog-console --help'));
  return consoleHelpText;
}

let help: Promise<string> | undefined;
/** acog-operator --help, from the sources (the image test checks the same from the image). */
function operatorHelp(): Promise<string> {
  help ??= exec(process.execPath, ['operator/src/main.ts', '--help']).then((result) =>
    succeeded(result, 'acog-operator --help').replace(/\s+/g, ' '),
  );
  return help;
}

describe('what the values change', () => {
  const ns = namespaces('acog');

  it('bundled services off: no NATS, MinIO or PostgreSQL, and the operator points at yours', async () => {
    const manifests = await render(
      'acog',
      ns.release,
      VALUE_SETS['bundled services off (AWS S3 with ambient credentials, your NATS and PostgreSQL)'](ns),
    );
    expect(manifests.filter((m) => m.kind === 'StatefulSet')).toEqual([]);
    // The one Secret left is the history API's serving certificate.
    expect(manifests.filter((m) => m.kind === 'Secret').map((m) => m.metadata.name)).toEqual(['acog-console-history-api-tls']);
    const env = operatorEnv(manifests, ns.release);
    expect(env.ACOG_NATS_URL).toEqual({ value: 'nats://nats.messaging.svc:4222' });
    expect(env.ACOG_S3_ENDPOINT).toBeUndefined();
    expect(env.AWS_ACCESS_KEY_ID).toBeUndefined();
    // Your PostgreSQL: the whole URL from your Secret, to the operator and the gateway alike.
    const database = { valueFrom: { secretKeyRef: { name: 'acog-database', key: 'DATABASE_URL' } } };
    expect(env.ACOG_DATABASE_URL).toEqual(database);
    expect(env.PGPASSWORD).toBeUndefined();
    expect(consoleEnv(manifests, ns.release).ACOG_DATABASE_URL).toEqual(database);
    const runner = parse((find(manifests, 'ConfigMap', 'acog-runner-config').data as Record<string, string>)['runner.yaml']);
    expect(runner.storageCredentials).toBeUndefined();
    expect(runner.env).toEqual({ ACOG_NATS_URL: 'nats://nats.messaging.svc:4222', AWS_REGION: 'eu-central-1' });
  });

  it('external S3 and NATS: NetworkPolicies open exactly their ranges and ports', async () => {
    const manifests = await render('acog', ns.release, VALUE_SETS['external S3 and NATS with network ranges'](ns));
    const egress = (
      find(manifests, 'NetworkPolicy', 'acog-runner', ns.episodes[1]).spec as { egress: { to: unknown[]; ports: unknown[] }[] }
    ).egress;
    expect(egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 4443 }] });
    expect(egress).toContainEqual({
      to: [{ ipBlock: { cidr: '10.30.0.0/16' } }, { ipBlock: { cidr: 'fd00:30::/64' } }],
      ports: [{ protocol: 'TCP', port: 9443 }],
    });
    const operatorEgress = (find(manifests, 'NetworkPolicy', 'acog-operator', ns.release).spec as { egress: unknown[] }).egress;
    expect(operatorEgress).toContainEqual({ to: [{ ipBlock: { cidr: '10.0.0.1/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] });
    expect(operatorEnv(manifests, ns.release).AWS_ACCESS_KEY_ID).toEqual({
      valueFrom: { secretKeyRef: { name: 'acog-s3-credentials', key: 'AWS_ACCESS_KEY_ID' } },
    });
  });

  it('existing secrets: no generated Secret but the bundled NATS users, every reference to the named ones', async () => {
    const manifests = await render('acog', ns.release, VALUE_SETS['existing secrets for the bundled services and private images'](ns));
    // No S3 key and no database password of the chart's; the bundled NATS (no existingSecret for it here) makes its users.
    expect(
      manifests
        .filter((m) => m.kind === 'Secret')
        .map((m) => `${m.metadata.namespace}/${m.metadata.name}`)
        .sort(),
    ).toEqual(
      [
        `${ns.release}/acog-nats-auth`,
        `${ns.release}/acog-nats-operator`,
        `${ns.release}/acog-nats-console`,
        `${ns.release}/acog-console-history-api-tls`,
        ...ns.episodes.map((episodes) => `${episodes}/acog-nats-runner`),
      ].sort(),
    );
    // The bundled PostgreSQL's password from the named Secret; the URL holds none.
    for (const env of [operatorEnv(manifests, ns.release), consoleEnv(manifests, ns.release)]) {
      expect(env.PGPASSWORD).toEqual({ valueFrom: { secretKeyRef: { name: 'acog-postgres-password', key: 'postgres-password' } } });
      expect(env.ACOG_DATABASE_URL).toEqual({ value: `postgres://acog@acog-postgresql.${ns.release}.svc:5432/acog` });
    }
    const minio = podTemplates(manifests).find((p) => p.source === 'StatefulSet/acog-minio')!;
    expect(minio.spec.containers[0].env).toContainEqual({
      name: 'MINIO_ROOT_USER',
      valueFrom: { secretKeyRef: { name: 'acog-minio-root', key: 'rootUser' } },
    });
    for (const { source, spec } of podTemplates(manifests)) {
      expect(spec.imagePullSecrets, source).toContainEqual({ name: 'regcred' });
      for (const container of spec.containers) expect(container.image, source).toMatch(/^registry\.example\.com\/mirror\//);
    }
    const runner = parse((find(manifests, 'ConfigMap', 'acog-runner-config').data as Record<string, string>)['runner.yaml']);
    expect(runner.imagePullSecrets).toEqual(['regcred', 'runner-regcred']);
    expect(runner.storageCredentials).toEqual({
      secretName: 'acog-minio-root',
      accessKeyIdKey: 'rootUser',
      secretAccessKeyKey: 'rootPassword',
    });
  });

  it('the bundled PostgreSQL: the operator and the gateway get its URL, and its password by reference from the Secret the chart makes', async () => {
    const manifests = await render('acog', ns.release, { global: { episodeNamespaces: ns.episodes } });
    for (const env of [operatorEnv(manifests, ns.release), consoleEnv(manifests, ns.release)]) {
      expect(env.ACOG_DATABASE_URL).toEqual({ value: `postgres://acog@acog-postgresql.${ns.release}.svc:5432/acog` });
      expect(env.PGPASSWORD).toEqual({ valueFrom: { secretKeyRef: { name: 'acog-postgresql', key: 'password' } } });
    }
    const secret = find(manifests, 'Secret', 'acog-postgresql', ns.release);
    expect(Object.keys(secret.data as object)).toEqual(['password']);
  });

  it('the bundled MinIO: its root key in the release namespace alone, a runner key of its own in each episode namespace', async () => {
    const manifests = await render('acog', ns.release, { global: { episodeNamespaces: ns.episodes } });
    const roots = manifests.filter((m) => m.kind === 'Secret' && m.metadata.name === 'acog-s3');
    expect(roots.map((s) => s.metadata.namespace)).toEqual([ns.release]);
    const runners = manifests.filter((m) => m.kind === 'Secret' && m.metadata.name === 'acog-s3-runner');
    expect(runners.map((s) => s.metadata.namespace).sort()).toEqual([...ns.episodes].sort());
    // Every key different: the root's and each namespace's, the access key and the secret key alike.
    const keys = [...roots, ...runners].map((s) => s.data as Record<string, string>);
    for (const field of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      expect(
        keys.every((data) => data[field]),
        field,
      ).toBe(true);
      expect(new Set(keys.map((data) => data[field])).size, field).toBe(keys.length);
    }
    const runner = parse((find(manifests, 'ConfigMap', 'acog-runner-config').data as Record<string, string>)['runner.yaml']);
    expect(runner.storageCredentials).toEqual({
      secretName: 'acog-s3-runner',
      accessKeyIdKey: 'AWS_ACCESS_KEY_ID',
      secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY',
    });
    for (const namespace of ns.episodes) {
      find(manifests, 'ServiceAccount', 'acog-runner', namespace);
      find(manifests, 'Role', 'acog-operator', namespace);
      find(manifests, 'NetworkPolicy', 'acog-runner', namespace);
    }
    // In the release namespace: the operator's Lease only (kubectl acog history goes through the APIService).
    expect(
      manifests
        .filter((m) => m.kind === 'Role' && m.metadata.namespace === ns.release)
        .map((m) => m.metadata.name)
        .sort(),
    ).toEqual(['acog-operator-leader-election']);
  });

  it('one watched namespace: Roles there, no ClusterRole, and the operator told which', async () => {
    const manifests = await render('acog', ns.release, VALUE_SETS['one watched namespace, no NetworkPolicies'](ns));
    // The console's ClusterRole stays: TokenReviews and SubjectAccessReviews are cluster-scoped.
    expect(clusterWide(manifests)).toEqual(CONSOLE_CLUSTER_WIDE);
    expect(manifests.filter((m) => m.kind === 'NetworkPolicy')).toEqual([]);
    expect(operatorRules(find(manifests, 'Role', 'acog-operator', ns.episodes[0]))).toEqual(OPERATOR_RULES_IN_A_NAMESPACE);
    expect(manifests.filter((m) => m.kind === 'Role' && m.metadata.namespace === ns.episodes[1])).toEqual([]);
    expect(operatorEnv(manifests, ns.release).ACOG_WATCH_NAMESPACES).toEqual({ value: ns.episodes[0] });
    expect(operatorEnv(manifests, ns.release).ACOG_LEADER_ELECT).toEqual({ value: 'false' });
    // Stage slots per namespace (docs/adr/0030): the chart's default is the operator's.
    expect(operatorEnv(manifests, ns.release).ACOG_STAGE_SLOTS).toEqual({ value: String(DEFAULT_STAGE_SLOTS) });
  });

  it("the history API: an APIService with the serving certificate's CA, the requestheader reader in kube-system, a reader for everyone", async () => {
    const manifests = await render('acog', ns.release, {});
    const secret = find(manifests, 'Secret', 'acog-console-history-api-tls', ns.release) as Manifest & { data: Record<string, string> };
    expect(Object.keys(secret.data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const serving = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
    expect(serving.subjectAltName).toContain(`DNS:acog-console.${ns.release}.svc`);
    expect(serving.verify(new X509Certificate(Buffer.from(secret.data['ca.crt'], 'base64')).publicKey)).toBe(true);
    expect(find(manifests, 'APIService', 'v1alpha1.history.acog.dev')).toMatchObject({
      spec: {
        group: 'history.acog.dev',
        version: 'v1alpha1',
        service: { name: 'acog-console', namespace: ns.release, port: 443 },
        caBundle: secret.data['ca.crt'],
      },
    });
    const service = find(manifests, 'Service', 'acog-console', ns.release) as Manifest & {
      spec: { ports: { name: string; port: number }[] };
    };
    expect(service.spec.ports).toContainEqual(expect.objectContaining({ name: 'history-api', port: 443, targetPort: 'history-api' }));
    expect(find(manifests, 'RoleBinding', 'acog-console-authentication-reader', 'kube-system')).toMatchObject({
      roleRef: { kind: 'Role', name: 'extension-apiserver-authentication-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'acog-console', namespace: ns.release }],
    });
    expect(find(manifests, 'ClusterRole', 'acog-console-history-reader')).toMatchObject({
      rules: [{ apiGroups: ['history.acog.dev'], resources: ['history', 'history/artifacts', 'spend', 'pulse'], verbs: ['get', 'list'] }],
    });
    expect(find(manifests, 'ClusterRoleBinding', 'acog-console-history-reader')).toMatchObject({
      subjects: [{ kind: 'Group', name: 'system:authenticated' }],
    });
    const off = await render('acog', ns.release, { console: { historyApi: { enabled: false } } });
    expect(off.filter((m) => m.kind === 'APIService' || m.metadata.name.includes('history'))).toEqual([]);
  });

  it('by default, least privilege: every rule of the operator in a Role in each episode namespace, no ClusterRole of its own', async () => {
    const manifests = await render('acog', ns.release, { global: { episodeNamespaces: ns.episodes } });
    expect(clusterWide(manifests)).toEqual(CONSOLE_CLUSTER_WIDE);
    for (const namespace of ns.episodes) {
      expect(operatorRules(find(manifests, 'Role', 'acog-operator', namespace)), namespace).toEqual(OPERATOR_RULES_IN_A_NAMESPACE);
      expect(find(manifests, 'RoleBinding', 'acog-operator', namespace)).toMatchObject({
        roleRef: { kind: 'Role', name: 'acog-operator' },
        subjects: [{ kind: 'ServiceAccount', name: 'acog-operator', namespace: ns.release }],
      });
    }
    // In the release namespace: the operator's Lease only (kubectl acog history goes through the APIService).
    expect(
      manifests
        .filter((m) => m.kind === 'Role' && m.metadata.namespace === ns.release)
        .map((m) => m.metadata.name)
        .sort(),
    ).toEqual(['acog-operator-leader-election']);
    // The operator watches exactly those namespaces.
    expect(operatorEnv(manifests, ns.release).ACOG_WATCH_NAMESPACES).toEqual({ value: ns.episodes.join(',') });

    // No episode namespaces named: the release namespace is the one (global.episodeNamespaces' default).
    const defaults = await render('acog', ns.release, {});
    expect(clusterWide(defaults)).toEqual(CONSOLE_CLUSTER_WIDE);
    expect(operatorRules(find(defaults, 'Role', 'acog-operator', ns.release))).toEqual(OPERATOR_RULES_IN_A_NAMESPACE);
    expect(operatorEnv(defaults, ns.release).ACOG_WATCH_NAMESPACES).toEqual({ value: ns.release });
  });

  it('operator.watchAllNamespaces=true (opt-in): the ClusterRole of today, Secrets still per namespace, no namespaces passed', async () => {
    const manifests = await render('acog', ns.release, VALUE_SETS['watching every namespace (operator.watchAllNamespaces=true)'](ns));
    expect(clusterWide(manifests)).toEqual([
      'ClusterRole/acog-console',
      'ClusterRole/acog-console-history-reader',
      'ClusterRole/acog-operator',
      'ClusterRoleBinding/acog-console',
      'ClusterRoleBinding/acog-console-history-reader',
      'ClusterRoleBinding/acog-operator',
    ]);
    expect(operatorRules(find(manifests, 'ClusterRole', 'acog-operator'))).toEqual(
      OPERATOR_RULES_IN_A_NAMESPACE.filter((rule) => !rule.startsWith('get secrets')),
    );
    expect(find(manifests, 'ClusterRoleBinding', 'acog-operator')).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'acog-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'acog-operator', namespace: ns.release }],
    });
    for (const namespace of ns.episodes)
      expect(operatorRules(find(manifests, 'Role', 'acog-operator', namespace)), namespace).toEqual(['get secrets']);
    expect(operatorEnv(manifests, ns.release).ACOG_WATCH_NAMESPACES).toBeUndefined();
    expect(operatorEnv(manifests, ns.release).ACOG_WATCH_NAMESPACE).toBeUndefined();
  });

  it('the console: read-only RBAC by default; writes (Episodes, and Channels from the editor) only for an authenticating proxy', async () => {
    const rulesOf = (manifests: Manifest[]) =>
      (find(manifests, 'ClusterRole', 'acog-console').rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).flatMap(
        (r) => r.resources.flatMap((resource) => r.verbs.map((verb) => `${verb} ${resource}${r.apiGroups[0] ? `.${r.apiGroups[0]}` : ''}`)),
      );
    const reads = [
      'create tokenreviews.authentication.k8s.io',
      'create subjectaccessreviews.authorization.k8s.io',
      'list channels.acog.dev',
      'watch channels.acog.dev',
      'list episodes.acog.dev',
      'watch episodes.acog.dev',
      'list jobs.batch',
      'watch jobs.batch',
      'list events.events.k8s.io',
      'watch events.events.k8s.io',
      'list pods',
      'get pods/log',
    ];
    expect(rulesOf(await render('acog', ns.release, {})).sort()).toEqual([...reads].sort());
    const proxied = await render('acog', ns.release, { console: { authProxy: { userHeader: 'X-Remote-User' } } });
    expect(rulesOf(proxied).sort()).toEqual(
      [
        ...reads,
        'create episodes.acog.dev',
        'patch episodes.acog.dev',
        'update episodes.acog.dev',
        'create channels.acog.dev',
        'update channels.acog.dev',
      ].sort(),
    );
    const env = consoleEnv(proxied, ns.release);
    expect(env.ACOG_AUTH_PROXY_USER_HEADER).toEqual({ value: 'X-Remote-User' });
    expect(env.ACOG_AUTH_PROXY_TRUSTED).toEqual({ value: '127.0.0.1,::1' });
  });

  it('the console: the HeyGen webhook relay on, NATS opened, no secret to mount; no artifacts, no S3', async () => {
    const manifests = await render('acog', ns.release, {
      console: { heygenWebhook: { enabled: true }, artifacts: { enabled: false } },
    });
    const env = consoleEnv(manifests, ns.release);
    expect(env.ACOG_HEYGEN_WEBHOOK).toEqual({ value: 'true' });
    expect(env.ACOG_NATS_URL).toEqual({ value: `nats://acog-nats.${ns.release}.svc:4222` });
    expect(env.ACOG_S3_ENDPOINT).toBeUndefined();
    expect(env.AWS_ACCESS_KEY_ID).toBeUndefined();
    const spec = (find(manifests, 'Deployment', 'acog-console', ns.release).spec as { template: { spec: PodSpec } }).template.spec;
    expect(spec.containers[0].args).toEqual(['--no-artifacts']);
    // The signing secrets are the runners' (one per Channel key); the gateway holds none, only the history API's certificate.
    expect(spec.volumes).toEqual([{ name: 'history-api-tls', secret: { secretName: 'acog-console-history-api-tls' } }]);
    const egress = JSON.stringify((find(manifests, 'NetworkPolicy', 'acog-console', ns.release).spec as { egress: unknown }).egress);
    expect(egress).toContain('component":"nats"');
    expect(egress).not.toContain('component":"minio"');
    // The bundled NATS lets the console in; by default (no webhook) the console has no way to NATS.
    expect(JSON.stringify(find(manifests, 'NetworkPolicy', 'acog-nats', ns.release).spec)).toContain('component":"console"');
    const defaults = await render('acog', ns.release, {});
    const defaultEgress = JSON.stringify((find(defaults, 'NetworkPolicy', 'acog-console', ns.release).spec as { egress: unknown }).egress);
    expect(defaultEgress).not.toContain('component":"nats"');
    expect(defaultEgress).toContain('component":"minio"');
    expect(consoleEnv(defaults, ns.release).ACOG_NATS_URL).toBeUndefined();
  });

  it('the console: pulse sources mounted as files named after each source, from their Secrets, never as environment variables', async () => {
    const manifests = await render('acog', ns.release, {
      console: {
        pulse: {
          sources: [
            { name: 'hacker-news', secretName: 'pulse-hn', secretKey: 'secret' },
            { name: 'trends.v2', secretName: 'pulse-trends', secretKey: 'hmac' },
          ],
        },
      },
    });
    const env = consoleEnv(manifests, ns.release);
    expect(env.ACOG_PULSE_SECRETS_DIR).toEqual({ value: '/var/run/acog/pulse' });
    expect(JSON.stringify(env)).not.toContain('pulse-hn');
    const spec = (find(manifests, 'Deployment', 'acog-console', ns.release).spec as { template: { spec: PodSpec } }).template.spec;
    // Beside the history API's serving certificate (on by default), nothing else.
    expect(spec.containers[0].volumeMounts).toEqual([
      { name: 'history-api-tls', mountPath: '/etc/acog/history-api', readOnly: true },
      { name: 'pulse-secrets', mountPath: '/var/run/acog/pulse', readOnly: true },
    ]);
    expect(spec.volumes).toEqual([
      { name: 'history-api-tls', secret: { secretName: 'acog-console-history-api-tls' } },
      {
        name: 'pulse-secrets',
        projected: {
          defaultMode: 0o440,
          sources: [
            { secret: { name: 'pulse-hn', items: [{ key: 'secret', path: 'hacker-news' }] } },
            { secret: { name: 'pulse-trends', items: [{ key: 'hmac', path: 'trends.v2' }] } },
          ],
        },
      },
    ]);
    // A source name that could not be a file name is refused by the values' schema.
    await expect(
      render('acog', ns.release, { console: { pulse: { sources: [{ name: '../x', secretName: 's', secretKey: 'k' }] } } }),
    ).rejects.toThrow(/pulse/);
    expect(consoleEnv(await render('acog', ns.release, {}), ns.release).ACOG_PULSE_SECRETS_DIR).toBeUndefined();
  });

  it('the console: an Ingress with TLS makes the session cookie Secure; a PodDisruptionBudget only with replicas > 1', async () => {
    const manifests = await render('acog', ns.release, VALUE_SETS['custom resources, scheduling and monitoring'](ns));
    const ingress = find(manifests, 'Ingress', 'acog-console', ns.release);
    expect(ingress.spec).toMatchObject({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['acog.example.com'], secretName: 'acog-console-tls' }],
      rules: [{ host: 'acog.example.com' }],
    });
    expect(consoleEnv(manifests, ns.release).ACOG_CONSOLE_SECURE_COOKIES).toEqual({ value: 'true' });
    find(manifests, 'PodDisruptionBudget', 'acog-console', ns.release);
    find(manifests, 'ServiceMonitor', 'acog-console', ns.release);
    const single = await render('acog', ns.release, { console: { replicas: 1 } });
    expect(single.filter((m) => m.kind === 'PodDisruptionBudget').map((m) => m.metadata.name)).toEqual(['acog-operator']);
    expect(consoleEnv(single, ns.release).ACOG_CONSOLE_SECURE_COOKIES).toEqual({ value: 'false' });
  });

  it('NOTES.txt tells how to apply the first Channel and Episode and watch them', async () => {
    const result = succeeded(
      await helm(['install', 'acog', '.', '--namespace', 'video', '--dry-run=client', '--set', 'global.episodeNamespaces={studio}']),
      'helm install --dry-run',
    );
    const notes = result.slice(result.indexOf('NOTES:'));
    expect(notes).toContain('kubectl -n studio apply -f examples/channel.yaml');
    expect(notes).toContain('kubectl -n studio apply -f examples/episode.yaml');
    expect(notes).toContain('kubectl acog -n studio watch how-indexes-work');
    expect(notes).toContain('kubectl -n video rollout status deployment/acog-operator');
    expect(notes).toContain('kubectl -n video port-forward service/acog-console 3000:80');
    expect(notes).toContain('Sign in with a Kubernetes token');
  });
});

/** The operator's rules in a namespace it watches, one "verb resource" per entry: exactly what operator/ does (docs/adr/0007). */
const OPERATOR_RULES_IN_A_NAMESPACE = [
  ...['get', 'list', 'watch'].flatMap((verb) => [`${verb} channels.acog.dev`, `${verb} episodes.acog.dev`]),
  ...['get', 'update', 'patch'].flatMap((verb) => [`${verb} channels.acog.dev/status`, `${verb} episodes.acog.dev/status`]),
  'create episodes.acog.dev',
  'update episodes.acog.dev',
  'patch episodes.acog.dev',
  'update episodes.acog.dev/finalizers',
  ...['get', 'list', 'watch', 'create', 'delete'].map((verb) => `${verb} jobs.batch`),
  'get pods',
  'list pods',
  'create events',
  'patch events',
  'get secrets',
].sort();

function operatorRules(role: Manifest): string[] {
  const rules = role.rules as { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
  return rules
    .flatMap((rule) => {
      expect(rule.resourceNames, 'no rule of the operator is limited to names but the Lease').toBeUndefined();
      return rule.apiGroups.flatMap((group) =>
        rule.resources.flatMap((resource) => {
          const [plural, subresource] = resource.split('/');
          const name = `${plural}${group ? `.${group}` : ''}${subresource ? `/${subresource}` : ''}`;
          return rule.verbs.map((verb) => `${verb} ${name}`);
        }),
      );
    })
    .sort();
}

/** The console's: its own ClusterRole, and history.acog.dev for every authenticated user (the gateway authorizes each namespace). */
const CONSOLE_CLUSTER_WIDE = [
  'ClusterRole/acog-console',
  'ClusterRole/acog-console-history-reader',
  'ClusterRoleBinding/acog-console',
  'ClusterRoleBinding/acog-console-history-reader',
];

function clusterWide(manifests: Manifest[]): string[] {
  return manifests
    .filter((m) => m.kind.startsWith('Cluster'))
    .map((m) => `${m.kind}/${m.metadata.name}`)
    .sort();
}

function operatorEnv(manifests: Manifest[], namespace: string): Record<string, unknown> {
  const deployment = find(manifests, 'Deployment', 'acog-operator', namespace);
  const env = (deployment.spec as { template: { spec: { containers: { env: { name: string; [key: string]: unknown }[] }[] } } }).template
    .spec.containers[0].env;
  return Object.fromEntries(env.map(({ name, ...rest }) => [name, rest]));
}

function consoleEnv(manifests: Manifest[], namespace: string): Record<string, unknown> {
  const deployment = find(manifests, 'Deployment', 'acog-console', namespace);
  const env = (deployment.spec as { template: { spec: PodSpec } }).template.spec.containers[0].env ?? [];
  return Object.fromEntries(env.map(({ name, ...rest }) => [name, rest]));
}
