// `helm install` of the chart into the real API server of the local control plane, then, with the
// operator's and the runner's ServiceAccounts impersonated: what RBAC lets them do (kubectl auth
// can-i): by default only in the episode namespaces, cluster-wide only with
// operator.watchAllNamespaces=true; and the ValidatingAdmissionPolicy that keeps the operator off
// every Episode's spec and approvals.
// Nothing runs the chart's Pods here (the controller-manager runs no Deployment controller and no
// harness Node serves these namespaces: docs/adr/0027): this is about the API objects.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { uniqueName } from '../support/env.ts';
import { chartTools, helm, helmKubeArgs, kubectlResult, repoRoot, succeeded, TOOLS_BUILD_TIMEOUT, type Values } from './support.ts';

const FINALIZER = 'acog.dev/artifacts';

/** What the operator may do in a namespace it watches, as `kubectl auth can-i --list` shows it. */
const WORK_RULES: [string, string[]][] = [
  ['channels.acog.dev', ['get', 'list', 'watch']],
  ['episodes.acog.dev', ['get', 'list', 'watch', 'create', 'update', 'patch']],
  ['channels.acog.dev/status', ['get', 'update', 'patch']],
  ['episodes.acog.dev/status', ['get', 'update', 'patch']],
  ['episodes.acog.dev/finalizers', ['update']],
  ['jobs.batch', ['get', 'list', 'watch', 'create', 'delete']],
  ['pods', ['get', 'list']],
  ['events', ['create', 'patch']],
];

interface Install {
  release: string;
  namespace: string;
  episodes: string[];
  operator: string;
  console: string;
  runner: (namespace: string) => string;
}

const cleanups: (() => Promise<unknown>)[] = [];

async function createNamespace(name: string): Promise<void> {
  succeeded(await kubectlResult(['create', 'namespace', name]), `kubectl create namespace ${name}`);
  cleanups.push(() => kubectlResult(['delete', 'namespace', name, '--wait=false']));
}

/** Installs the chart for real (its post-install hook would wait for a Job that nothing here runs). */
async function install(values: (install: Omit<Install, 'operator' | 'console' | 'runner'>) => Values): Promise<Install> {
  const release = uniqueName('acog');
  const namespace = `${release}-system`;
  const episodes = [`${release}-studio`, `${release}-shorts`];
  for (const name of [namespace, ...episodes]) await createNamespace(name);
  const dir = await mkdtemp(join(tmpdir(), 'acog-install-'));
  const file = join(dir, 'values.yaml');
  // No console Pod runs here (no Deployment controller, no kubelet): its APIService (history.acog.dev)
  // would stay Unavailable (MissingEndpoints) and leave discovery incomplete for every other test of
  // the run: the namespace controller cannot finish deleting a namespace until it is complete.
  // The aggregated path is tested live in test/console/plugin-history.test.ts; the chart's objects
  // for it in test/helm/chart.test.ts.
  const chosen = values({ release, namespace, episodes });
  const consoleValues = (chosen.console ?? {}) as Record<string, unknown>;
  await writeFile(
    file,
    stringify({ ...chosen, console: { ...consoleValues, historyApi: { enabled: false, port: 8443, certificateDays: 3650 } } }),
  );
  try {
    succeeded(
      await helm(['install', release, '.', '--namespace', namespace, '--values', file, '--no-hooks', '--timeout', '2m', ...helmKubeArgs()]),
      `helm install ${release}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  cleanups.push(() => helm(['uninstall', release, '--namespace', namespace, '--wait=false', ...helmKubeArgs()]));
  return {
    release,
    namespace,
    episodes,
    operator: `system:serviceaccount:${namespace}:${release}-operator`,
    console: `system:serviceaccount:${namespace}:${release}-console`,
    runner: (ns) => `system:serviceaccount:${ns}:${release}-runner`,
  };
}

/** kubectl auth can-i as `user`: true for yes, false for no, an error for anything else. */
async function canI(user: string, args: string[]): Promise<boolean> {
  const result = await kubectlResult(['auth', 'can-i', ...args, `--as=${user}`]);
  const answer = result.stdout.trim();
  if (answer === 'yes' && result.code === 0) return true;
  if (answer.startsWith('no') && result.code === 1) return false;
  throw new Error(`kubectl auth can-i ${args.join(' ')} --as=${user}: exit ${result.code}: ${result.stdout}${result.stderr}`);
}

/** The rules `kubectl auth can-i --list` shows for `user` in `namespace`, one "resource [names] verb" per entry. */
async function rules(user: string, namespace: string): Promise<Set<string>> {
  const result = await kubectlResult(['auth', 'can-i', '--list', '--no-headers', `--as=${user}`, '-n', namespace]);
  const out = succeeded(result, 'kubectl auth can-i --list');
  const entries = new Set<string>();
  for (const line of out.trim().split('\n')) {
    const [resource, nonResourceUrls, names, verbs] = line.trimEnd().split(/\s{2,}/);
    const resourceKey = resource || nonResourceUrls;
    for (const verb of verbs.replace(/^\[|\]$/g, '').split(/\s+/)) entries.add(`${resourceKey} ${names} ${verb}`);
  }
  return entries;
}

function difference(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((entry) => !b.has(entry)).sort();
}

function expand(rows: [string, string[]][], names = '[]'): string[] {
  return rows.flatMap(([resource, verbs]) => verbs.map((verb) => `${resource} ${names} ${verb}`)).sort();
}

/** What every ServiceAccount may do with no binding at all (system:basic-user, discovery): the baseline. */
async function baseline(namespace: string): Promise<Set<string>> {
  return rules(`system:serviceaccount:${namespace}:nobody-${Math.random().toString(36).slice(2, 8)}`, namespace);
}

beforeAll(() => chartTools(), TOOLS_BUILD_TIMEOUT);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('helm install, by default: the operator watches its two episode namespaces, with a Role in each', () => {
  let it$: Install;
  let bystander: string;
  beforeAll(async () => {
    it$ = await install(({ episodes }) => ({ global: { episodeNamespaces: episodes } }));
    bystander = `${it$.release}-bystander`;
    await createNamespace(bystander);
  }, 180_000);

  it('is a deployed release whose objects are on the server', async () => {
    const status = JSON.parse(
      succeeded(await helm(['status', it$.release, '-n', it$.namespace, '-o', 'json', ...helmKubeArgs()]), 'helm status'),
    );
    expect(status.info.status).toBe('deployed');
    for (const [kind, name, namespace] of [
      ['deployment', `${it$.release}-operator`, it$.namespace],
      ['deployment', `${it$.release}-console`, it$.namespace],
      ['clusterrolebinding', `${it$.release}-console`, ''],
      ['statefulset', `${it$.release}-nats`, it$.namespace],
      ['role', `${it$.release}-operator`, it$.episodes[0]],
      ['rolebinding', `${it$.release}-operator`, it$.episodes[1]],
      ['validatingadmissionpolicy', `${it$.release}-operator-writes-no-spec`, ''],
      ['serviceaccount', `${it$.release}-runner`, it$.episodes[1]],
      ['secret', `${it$.release}-s3`, it$.namespace],
      ['secret', `${it$.release}-s3-runner`, it$.episodes[0]],
    ])
      succeeded(await kubectlResult(['get', kind, name, ...(namespace ? ['-n', namespace] : [])]), `kubectl get ${kind} ${name}`);
    for (const kind of ['clusterrole', 'clusterrolebinding'])
      expect((await kubectlResult(['get', kind, `${it$.release}-operator`])).stderr, kind).toMatch(/NotFound/);
  });

  it('keeps the generated keys of the bundled services across helm upgrade', async () => {
    const data = async (name: string, namespace: string) =>
      succeeded(await kubectlResult(['get', 'secret', name, '-n', namespace, '-o', 'jsonpath={.data}']), `kubectl get secret ${name}`);
    const secrets = async () => [
      await data(`${it$.release}-s3`, it$.namespace),
      await data(`${it$.release}-s3-runner`, it$.episodes[0]),
      await data(`${it$.release}-s3-runner`, it$.episodes[1]),
      await data(`${it$.release}-s3-tenants`, it$.namespace),
      await data(`${it$.release}-postgresql`, it$.namespace),
      await data(`${it$.release}-nats-auth`, it$.namespace),
      await data(`${it$.release}-nats-runner`, it$.episodes[1]),
    ];
    const before = await secrets();
    // The root key (release namespace) and each episode namespace's runner key: all different.
    const s3 = before.slice(0, 3).map((text) => JSON.parse(text) as Record<string, string>);
    for (const field of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      expect(
        s3.every((key) => key[field]),
        field,
      ).toBe(true);
      expect(new Set(s3.map((key) => key[field])).size, field).toBe(3);
    }
    // No episode namespace holds the root key's Secret.
    for (const namespace of it$.episodes)
      expect((await kubectlResult(['get', 'secret', `${it$.release}-s3`, '-n', namespace])).stderr, namespace).toMatch(/NotFound/);
    succeeded(
      await helm(['upgrade', it$.release, '.', '--namespace', it$.namespace, '--reuse-values', '--no-hooks', ...helmKubeArgs()]),
      'helm upgrade',
    );
    const status = JSON.parse(
      succeeded(await helm(['status', it$.release, '-n', it$.namespace, '-o', 'json', ...helmKubeArgs()]), 'helm status'),
    );
    expect(status.version).toBe(2);
    expect(await secrets()).toEqual(before);
  });

  it('lets the operator do each thing it does, in each episode namespace', async () => {
    const yes: string[][] = [
      ...it$.episodes.flatMap((namespace) => [
        ...['get', 'list', 'watch'].flatMap((verb) => [
          [verb, 'channels.acog.dev', '-n', namespace],
          [verb, 'episodes.acog.dev', '-n', namespace],
          [verb, 'jobs.batch', '-n', namespace],
        ]),
        ...['get', 'update', 'patch'].flatMap((verb) => [
          [verb, 'channels.acog.dev', '--subresource=status', '-n', namespace],
          [verb, 'episodes.acog.dev', '--subresource=status', '-n', namespace],
        ]),
        ['create', 'episodes.acog.dev', '-n', namespace],
        ['update', 'episodes.acog.dev', '-n', namespace],
        ['patch', 'episodes.acog.dev', '-n', namespace],
        ['update', 'episodes.acog.dev', '--subresource=finalizers', '-n', namespace],
        ['create', 'jobs.batch', '-n', namespace],
        ['delete', 'jobs.batch', '-n', namespace],
        ['get', 'pods', '-n', namespace],
        ['list', 'pods', '-n', namespace],
        ['create', 'events', '-n', namespace],
        ['patch', 'events', '-n', namespace],
        ['get', 'secrets', '-n', namespace],
      ]),
      ['create', 'leases.coordination.k8s.io', '-n', it$.namespace],
      ['get', `leases.coordination.k8s.io/${it$.release}-operator`, '-n', it$.namespace],
      ['update', `leases.coordination.k8s.io/${it$.release}-operator`, '-n', it$.namespace],
    ];
    const answers = await Promise.all(yes.map((args) => canI(it$.operator, args)));
    expect(yes.filter((_, i) => !answers[i]).map((args) => args.join(' '))).toEqual([]);
  });

  it('refuses the operator all of it outside the episode namespaces: no Jobs, Pods, Channels or Episodes there, nothing cluster-wide', async () => {
    const no: string[][] = [
      ...[bystander, it$.namespace, 'kube-system'].flatMap((namespace) => [
        ['create', 'jobs.batch', '-n', namespace],
        ['delete', 'jobs.batch', '-n', namespace],
        ['list', 'jobs.batch', '-n', namespace],
        ['get', 'pods', '-n', namespace],
        ['list', 'pods', '-n', namespace],
        ['list', 'episodes.acog.dev', '-n', namespace],
        ['watch', 'channels.acog.dev', '-n', namespace],
        ['patch', 'episodes.acog.dev', '--subresource=status', '-n', namespace],
        ['create', 'events', '-n', namespace],
      ]),
      ...['list', 'watch'].flatMap((verb) => [
        [verb, 'channels.acog.dev', '--all-namespaces'],
        [verb, 'episodes.acog.dev', '--all-namespaces'],
        [verb, 'jobs.batch', '--all-namespaces'],
        [verb, 'pods', '--all-namespaces'],
      ]),
    ];
    const answers = await Promise.all(no.map((args) => canI(it$.operator, args)));
    expect(no.filter((_, i) => answers[i]).map((args) => args.join(' '))).toEqual([]);
  });

  it('refuses the operator everything else: Secrets cluster-wide, writes to spec, deletes, other API groups', async () => {
    const [studio] = it$.episodes;
    const no: string[][] = [
      // Secrets: read one by name in an episode namespace, nothing more, nowhere else.
      ['get', 'secrets', '-n', bystander],
      ['get', 'secrets', '-n', it$.namespace],
      ['get', 'secrets', '-n', 'kube-system'],
      ['list', 'secrets', '--all-namespaces'],
      ['list', 'secrets', '-n', studio],
      ['watch', 'secrets', '-n', studio],
      ['create', 'secrets', '-n', studio],
      // Episodes are created (a Channel's schedule), never deleted; Channels never created, deleted or written.
      ['delete', 'episodes.acog.dev', '-n', studio],
      ['deletecollection', 'episodes.acog.dev', '-n', studio],
      ['create', 'channels.acog.dev', '-n', studio],
      ['update', 'channels.acog.dev', '-n', studio],
      ['patch', 'channels.acog.dev', '-n', studio],
      ['delete', 'channels.acog.dev', '-n', studio],
      // Jobs are made and removed, never changed; Pods only read.
      ['update', 'jobs.batch', '-n', studio],
      ['patch', 'jobs.batch', '-n', studio],
      ['create', 'pods', '-n', studio],
      ['delete', 'pods', '-n', studio],
      ['create', 'pods', '--subresource=exec', '-n', studio],
      ['get', 'pods', '--subresource=log', '-n', studio],
      ['delete', 'events', '-n', studio],
      // Leases: its own, in the release namespace.
      ['update', 'leases.coordination.k8s.io/kube-controller-manager', '-n', 'kube-system'],
      ['create', 'leases.coordination.k8s.io', '-n', studio],
      ['update', 'leases.coordination.k8s.io/someone-else', '-n', it$.namespace],
      // Nothing in other API groups or other core resources.
      ['get', 'configmaps', '-n', studio],
      ['create', 'serviceaccounts', '--subresource=token', '-n', studio],
      ['list', 'deployments.apps', '-n', it$.namespace],
      ['create', 'roles.rbac.authorization.k8s.io', '-n', studio],
      ['create', 'rolebindings.rbac.authorization.k8s.io', '-n', studio],
      ['escalate', 'clusterroles.rbac.authorization.k8s.io'],
      ['bind', 'clusterroles.rbac.authorization.k8s.io'],
      ['update', 'validatingadmissionpolicies.admissionregistration.k8s.io'],
      ['create', 'cronjobs.batch', '-n', studio],
      ['list', 'nodes'],
      ['create', 'namespaces'],
      ['impersonate', 'users'],
      ['update', 'customresourcedefinitions.apiextensions.k8s.io'],
    ];
    const answers = await Promise.all(no.map((args) => canI(it$.operator, args)));
    expect(no.filter((_, i) => answers[i]).map((args) => args.join(' '))).toEqual([]);
  });

  it('grants the operator exactly its contract, rule for rule (kubectl auth can-i --list, less what every account has)', async () => {
    for (const namespace of it$.episodes)
      expect(difference(await rules(it$.operator, namespace), await baseline(namespace)), namespace).toEqual(
        expand([...WORK_RULES, ['secrets', ['get']]]),
      );
    // In the release namespace its Lease alone; in any other namespace nothing at all.
    expect(difference(await rules(it$.operator, it$.namespace), await baseline(it$.namespace))).toEqual(
      [
        ...expand([['leases.coordination.k8s.io', ['create']]]),
        ...expand([['leases.coordination.k8s.io', ['get', 'update']]], `[${it$.release}-operator]`),
      ].sort(),
    );
    expect(difference(await rules(it$.operator, bystander), await baseline(bystander))).toEqual([]);
  });

  it('lets the runner ServiceAccount do nothing at all', async () => {
    for (const namespace of it$.episodes) {
      expect(difference(await rules(it$.runner(namespace), namespace), await baseline(namespace))).toEqual([]);
    }
    const [studio] = it$.episodes;
    const no = [
      ['get', 'secrets'],
      ['get', 'pods'],
      ['get', 'episodes.acog.dev'],
      ['create', 'jobs.batch'],
      ['list', 'configmaps'],
      ['create', 'events'],
    ];
    const answers = await Promise.all(no.map((args) => canI(it$.runner(studio), [...args, '-n', studio])));
    expect(answers.every((answer) => answer === false)).toBe(true);
  });

  it('lets the console gateway do each thing it does: review users, watch, read a stage log', async () => {
    const [studio, shorts] = it$.episodes;
    const yes: string[][] = [
      ['create', 'tokenreviews.authentication.k8s.io'],
      ['create', 'subjectaccessreviews.authorization.k8s.io'],
      ...['list', 'watch'].flatMap((verb) => [
        [verb, 'channels.acog.dev', '--all-namespaces'],
        [verb, 'episodes.acog.dev', '--all-namespaces'],
        [verb, 'jobs.batch', '--all-namespaces'],
        [verb, 'events.events.k8s.io', '--all-namespaces'],
      ]),
      ['list', 'pods', '-n', studio],
      ['get', 'pods', '--subresource=log', '-n', shorts],
    ];
    const answers = await Promise.all(yes.map((args) => canI(it$.console, args)));
    expect(yes.filter((_, i) => !answers[i]).map((args) => args.join(' '))).toEqual([]);
  });

  it('refuses the console gateway every write: users write with their own token', async () => {
    const [studio] = it$.episodes;
    const no: string[][] = [
      ...['create', 'update', 'patch', 'delete'].flatMap((verb) => [
        [verb, 'episodes.acog.dev', '-n', studio],
        [verb, 'channels.acog.dev', '-n', studio],
      ]),
      ['patch', 'episodes.acog.dev', '--subresource=status', '-n', studio],
      ['update', 'episodes.acog.dev', '--subresource=finalizers', '-n', studio],
      ['get', 'secrets', '-n', studio],
      ['get', 'secrets', '-n', it$.namespace],
      ['list', 'secrets', '--all-namespaces'],
      ['create', 'jobs.batch', '-n', studio],
      ['delete', 'jobs.batch', '-n', studio],
      ['delete', 'pods', '-n', studio],
      ['create', 'pods', '--subresource=exec', '-n', studio],
      ['create', 'events', '-n', studio],
      ['get', 'configmaps', '-n', it$.namespace],
      ['create', 'serviceaccounts', '--subresource=token', '-n', it$.namespace],
      ['impersonate', 'users'],
      ['impersonate', 'groups'],
      ['create', 'localsubjectaccessreviews.authorization.k8s.io', '-n', studio],
      ['update', 'leases.coordination.k8s.io', '-n', it$.namespace],
      ['create', 'rolebindings.rbac.authorization.k8s.io', '-n', studio],
    ];
    const answers = await Promise.all(no.map((args) => canI(it$.console, args)));
    expect(no.filter((_, i) => answers[i]).map((args) => args.join(' '))).toEqual([]);
  });

  it('grants the console gateway exactly its contract, rule for rule (kubectl auth can-i --list, less what every account has)', async () => {
    const contract = expand([
      ['tokenreviews.authentication.k8s.io', ['create']],
      ['subjectaccessreviews.authorization.k8s.io', ['create']],
      ['channels.acog.dev', ['list', 'watch']],
      ['episodes.acog.dev', ['list', 'watch']],
      ['jobs.batch', ['list', 'watch']],
      ['events.events.k8s.io', ['list', 'watch']],
      ['pods', ['list']],
      ['pods/log', ['get']],
    ]);
    for (const namespace of [it$.episodes[0], it$.namespace, bystander])
      expect(difference(await rules(it$.console, namespace), await baseline(namespace)), namespace).toEqual(contract);
  });

  describe('the ValidatingAdmissionPolicy, as the operator', () => {
    let studio: string;
    const as = () => `--as=${it$.operator}`;
    const episode = (name: string) => ['episode', name, '-n', studio];
    const patch = (name: string, type: 'merge' | 'json', body: unknown, extra: string[] = []) =>
      kubectlResult(['patch', ...episode(name), `--type=${type}`, '-p', JSON.stringify(body), ...extra, as()]);

    beforeAll(async () => {
      studio = it$.episodes[0];
      const channel = parse(await readFile(join(repoRoot, 'examples/channel.yaml'), 'utf8'));
      const base = parse(await readFile(join(repoRoot, 'examples/episode.yaml'), 'utf8'));
      const episodes = ['how-indexes-work', 'warm-up'].map((name) => ({ ...base, metadata: { name } }));
      succeeded(
        await kubectlResult(['apply', '-n', studio, '-f', '-'], { input: [channel, ...episodes].map((o) => stringify(o)).join('---\n') }),
        'kubectl apply the example Channel and Episodes',
      );
      cleanups.push(() =>
        kubectlResult(['patch', ...episode('how-indexes-work'), '--type=merge', '-p', '{"metadata":{"finalizers":null}}']),
      );
      // A new policy takes effect once the API server has loaded it: change the warm-up Episode's
      // spec as the operator (each time to a new value) until the policy refuses it.
      const deadline = Date.now() + 60_000;
      for (let attempt = 0; ; attempt++) {
        const result = await patch('warm-up', 'merge', { spec: { brief: `attempt ${attempt}` } });
        if (result.code !== 0 && /writes-no-spec/.test(result.stderr)) break;
        if (Date.now() > deadline) throw new Error(`the admission policy did not take effect within 60s: ${result.stderr}${result.stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }, 120_000);

    it('refuses a change of spec, with the policy message, and the spec stays as it was', async () => {
      const result = await patch('how-indexes-work', 'merge', { spec: { topic: 'Something else entirely' } });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`ValidatingAdmissionPolicy '${it$.release}-operator-writes-no-spec'`);
      expect(result.stderr).toContain('the ACOG operator never writes spec (GitOps tools must see no drift)');
      const topic = succeeded(await kubectlResult(['get', ...episode('how-indexes-work'), '-o', 'jsonpath={.spec.topic}']), 'kubectl get');
      expect(topic).toBe('How database indexes really work');
    });

    it('allows adding and removing its finalizer, and nothing else among finalizers', async () => {
      const added = await patch('how-indexes-work', 'json', [{ op: 'add', path: '/metadata/finalizers', value: [FINALIZER] }]);
      expect(added.stderr).toBe('');
      expect(added.code).toBe(0);
      const finalizers = () => kubectlResult(['get', ...episode('how-indexes-work'), '-o', 'jsonpath={.metadata.finalizers}']);
      expect(JSON.parse(succeeded(await finalizers(), 'kubectl get'))).toEqual([FINALIZER]);

      const foreign = await patch('how-indexes-work', 'json', [{ op: 'add', path: '/metadata/finalizers/-', value: 'example.com/other' }]);
      expect(foreign.code).not.toBe(0);
      expect(foreign.stderr).toContain(
        'the ACOG operator adds and removes only its own finalizers, acog.dev/artifacts and acog.dev/archive',
      );

      const removed = await patch('how-indexes-work', 'json', [{ op: 'remove', path: '/metadata/finalizers/0' }]);
      expect(removed.code).toBe(0);
      expect(succeeded(await finalizers(), 'kubectl get')).toBe('');
    });

    it('refuses adding, changing or removing an approval (approve.acog.dev/<stage>), which a person may write', async () => {
      const approval = 'approve.acog.dev/voice';
      const annotations = async (): Promise<Record<string, string>> => {
        const result = await kubectlResult(['get', ...episode('how-indexes-work'), '-o', 'jsonpath={.metadata.annotations}']);
        return JSON.parse(succeeded(result, 'kubectl get') || '{}') as Record<string, string>;
      };
      const refused = (result: { code: number; stderr: string }) => {
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain(`ValidatingAdmissionPolicy '${it$.release}-operator-writes-no-spec'`);
        expect(result.stderr).toContain('the ACOG operator never adds, changes or removes an approval');
      };

      refused(await patch('how-indexes-work', 'merge', { metadata: { annotations: { [approval]: '2026-11-26T10:00:00Z' } } }));
      expect((await annotations())[approval]).toBeUndefined();

      // A person approves (as kubectl acog approve does); the operator may neither change nor withdraw it.
      const approved = await kubectlResult(['annotate', ...episode('how-indexes-work'), `${approval}=2026-11-26T10:00:00Z`]);
      expect(approved.stderr).toBe('');
      expect(approved.code).toBe(0);
      refused(await patch('how-indexes-work', 'merge', { metadata: { annotations: { [approval]: '2026-11-27T10:00:00Z' } } }));
      refused(await patch('how-indexes-work', 'merge', { metadata: { annotations: { [approval]: null } } }));
      refused(await kubectlResult(['annotate', ...episode('how-indexes-work'), `${approval}-`, as()]));
      refused(await patch('how-indexes-work', 'merge', { metadata: { annotations: { 'approve.acog.dev/upload': 'now' } } }));
      expect((await annotations())[approval]).toBe('2026-11-26T10:00:00Z');
      expect((await annotations())['approve.acog.dev/upload']).toBeUndefined();

      // Its own writes that leave approvals alone still pass: its finalizer, with the approval there.
      const added = await patch('how-indexes-work', 'json', [{ op: 'add', path: '/metadata/finalizers', value: [FINALIZER] }]);
      expect(added.stderr).toBe('');
      expect(added.code).toBe(0);
      const removed = await patch('how-indexes-work', 'json', [{ op: 'remove', path: '/metadata/finalizers/0' }]);
      expect(removed.code).toBe(0);

      // And a person may withdraw it.
      const withdrawn = await kubectlResult(['annotate', ...episode('how-indexes-work'), `${approval}-`]);
      expect(withdrawn.code).toBe(0);
      expect((await annotations())[approval]).toBeUndefined();
    });

    it('allows cancelling an Episode a schedule made, and nothing else in its spec, nor relabelling who made it', async () => {
      const base = parse(await readFile(join(repoRoot, 'examples/episode.yaml'), 'utf8'));
      const made = { ...base, metadata: { name: 'scheduled-one', labels: { 'acog.dev/origin': 'schedule' } } };
      const created = await kubectlResult(['create', '-n', studio, '-f', '-', as()], { input: stringify(made) });
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);

      const topic = await patch('scheduled-one', 'merge', { spec: { topic: 'Another topic', cancel: true } });
      expect(topic.code).not.toBe(0);
      expect(topic.stderr).toContain('the ACOG operator never writes spec');
      const unlabelled = await patch('scheduled-one', 'merge', { metadata: { labels: { 'acog.dev/origin': 'pulse' } } });
      expect(unlabelled.code).not.toBe(0);
      expect(unlabelled.stderr).toContain('the ACOG operator never changes the label acog.dev/origin');
      // A person's Episode is never cancelled by the operator, nor made to look scheduled.
      expect((await patch('how-indexes-work', 'merge', { spec: { cancel: true } })).code).not.toBe(0);
      expect((await patch('how-indexes-work', 'merge', { metadata: { labels: { 'acog.dev/origin': 'schedule' } } })).code).not.toBe(0);

      const cancelled = await patch('scheduled-one', 'merge', { spec: { cancel: true } });
      expect(cancelled.stderr).toBe('');
      expect(cancelled.code).toBe(0);
      const cancel = await kubectlResult(['get', ...episode('scheduled-one'), '-o', 'jsonpath={.spec.cancel}']);
      expect(succeeded(cancel, 'kubectl get')).toBe('true');
    });

    it('allows writing status through the status subresource', async () => {
      const result = await patch('how-indexes-work', 'merge', { status: { phase: 'Running' } }, ['--subresource=status']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(succeeded(await kubectlResult(['get', ...episode('how-indexes-work'), '-o', 'jsonpath={.status.phase}']), 'kubectl get')).toBe(
        'Running',
      );
    });

    it('holds for the operator only: a person may still change the spec', async () => {
      const result = await kubectlResult([
        'patch',
        ...episode('how-indexes-work'),
        '--type=merge',
        '-p',
        '{"spec":{"brief":"A shorter brief."}}',
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    });

    it('leaves Channels and deletes to RBAC, which refuses them', async () => {
      const channel = await kubectlResult([
        'patch',
        'channel',
        'engineering-explained',
        '-n',
        studio,
        '--type=merge',
        '-p',
        '{"spec":{"approvalGates":[]}}',
        as(),
      ]);
      expect(channel.code).not.toBe(0);
      expect(channel.stderr).toMatch(/Forbidden.*cannot patch resource "channels"/);
      const deleted = await kubectlResult(['delete', ...episode('how-indexes-work'), as()]);
      expect(deleted.code).not.toBe(0);
      expect(deleted.stderr).toMatch(/Forbidden.*cannot delete resource "episodes"/);
    });
  });
});

describe('helm install, watching every namespace (operator.watchAllNamespaces=true, opt-in)', () => {
  let it$: Install;
  let bystander: string;
  beforeAll(async () => {
    it$ = await install(({ episodes }) => ({ global: { episodeNamespaces: [episodes[0]] }, operator: { watchAllNamespaces: true } }));
    bystander = `${it$.release}-bystander`;
    await createNamespace(bystander);
  }, 180_000);

  it('keeps the ClusterRole: the operator works in every namespace, and reads Secrets only in the episode namespace', async () => {
    const [studio] = it$.episodes;
    const yes: string[][] = [
      ...['list', 'watch'].flatMap((verb) => [
        [verb, 'channels.acog.dev', '--all-namespaces'],
        [verb, 'episodes.acog.dev', '--all-namespaces'],
        [verb, 'jobs.batch', '--all-namespaces'],
      ]),
      ['create', 'jobs.batch', '-n', bystander],
      ['get', 'pods', '-n', bystander],
      ['list', 'pods', '--all-namespaces'],
      ['patch', 'episodes.acog.dev', '--subresource=status', '-n', bystander],
      ['get', 'secrets', '-n', studio],
    ];
    const yesAnswers = await Promise.all(yes.map((args) => canI(it$.operator, args)));
    expect(yes.filter((_, i) => !yesAnswers[i]).map((args) => args.join(' '))).toEqual([]);
    const no: string[][] = [
      ['get', 'secrets', '-n', bystander],
      ['get', 'secrets', '-n', it$.namespace],
      ['list', 'secrets', '--all-namespaces'],
      ['list', 'secrets', '-n', studio],
      ['delete', 'episodes.acog.dev', '-n', bystander],
      ['update', 'channels.acog.dev', '-n', bystander],
      ['create', 'pods', '-n', bystander],
    ];
    const noAnswers = await Promise.all(no.map((args) => canI(it$.operator, args)));
    expect(no.filter((_, i) => noAnswers[i]).map((args) => args.join(' '))).toEqual([]);
  });

  it('grants the operator exactly its contract, rule for rule', async () => {
    const [studio] = it$.episodes;
    expect(difference(await rules(it$.operator, studio), await baseline(studio))).toEqual(expand([...WORK_RULES, ['secrets', ['get']]]));
    expect(difference(await rules(it$.operator, it$.namespace), await baseline(it$.namespace))).toEqual(
      [
        ...expand([...WORK_RULES, ['leases.coordination.k8s.io', ['create']]]),
        ...expand([['leases.coordination.k8s.io', ['get', 'update']]], `[${it$.release}-operator]`),
      ].sort(),
    );
    expect(difference(await rules(it$.operator, bystander), await baseline(bystander))).toEqual(expand(WORK_RULES));
  });

  it('helm uninstall removes the cluster-wide objects', async () => {
    succeeded(await helm(['uninstall', it$.release, '-n', it$.namespace, '--wait=false', ...helmKubeArgs()]), 'helm uninstall');
    for (const [kind, name] of [
      ['clusterrole', `${it$.release}-operator`],
      ['clusterrolebinding', `${it$.release}-operator`],
      ['clusterrole', `${it$.release}-console`],
      ['clusterrolebinding', `${it$.release}-console`],
      ['validatingadmissionpolicy', `${it$.release}-operator-writes-no-spec`],
      ['validatingadmissionpolicybinding', `${it$.release}-operator-writes-no-spec`],
    ]) {
      const result = await kubectlResult(['get', kind, name]);
      expect(result.stderr, `${kind} ${name}`).toMatch(/NotFound/);
    }
    expect((await kubectlResult(['get', 'serviceaccount', `${it$.release}-runner`, '-n', it$.episodes[0]])).stderr).toMatch(/NotFound/);
  });
});

describe('helm install, one episode namespace', () => {
  let it$: Install;
  beforeAll(async () => {
    it$ = await install(({ episodes }) => ({
      global: { episodeNamespaces: [episodes[0]] },
      operator: { replicas: 1, leaderElection: { enabled: false } },
    }));
  }, 180_000);

  it('gives the operator its rules in that namespace only, and no ClusterRole', async () => {
    const [watched, other] = it$.episodes;
    expect(await canI(it$.operator, ['list', 'episodes.acog.dev', '-n', watched])).toBe(true);
    expect(await canI(it$.operator, ['create', 'jobs.batch', '-n', watched])).toBe(true);
    expect(await canI(it$.operator, ['get', 'secrets', '-n', watched])).toBe(true);
    expect(await canI(it$.operator, ['list', 'episodes.acog.dev', '-n', other])).toBe(false);
    expect(await canI(it$.operator, ['list', 'episodes.acog.dev', '--all-namespaces'])).toBe(false);
    expect(await canI(it$.operator, ['create', 'jobs.batch', '-n', other])).toBe(false);
    // No leader election: no Lease either.
    expect(await canI(it$.operator, ['create', 'leases.coordination.k8s.io', '-n', it$.namespace])).toBe(false);
    expect((await kubectlResult(['get', 'clusterrole', `${it$.release}-operator`])).stderr).toMatch(/NotFound/);
  });
});
