// The operator's command line: a bad flag or environment value stops it at once, naming the flag.
// And the namespaces it watches: the flags, and one view over the Informers of several namespaces
// (against the local control plane's API server).
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHANNELS, GROUP, VERSION, type Channel } from '@acog/api';
import { customObjectSource, Informer, type InformerEvent } from '@acog/kube';
import { kubeConfig, uniqueName } from '../../test/support/env.ts';
import { watchNamespaces } from './main.ts';
import { MultiNamespaceInformer, watchedInformer } from './operator.ts';

const MAIN = new URL('./main.ts', import.meta.url).pathname;

function operator(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('acog-operator', () => {
  it('prints its version and its help', () => {
    expect(operator(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const help = operator(['--help']);
    expect(help.code).toBe(0);
    for (const flag of [
      '--runner-config',
      '--nats-url',
      '--database-url',
      '--namespaces <list>',
      '--namespace <namespace>',
      '--http-address',
      '--no-leader-elect',
      '--workers',
      '--stage-slots',
      '--log-level',
    ])
      expect(help.stdout).toContain(flag);
    const text = help.stdout.replace(/\s+/g, ' ');
    for (const variable of ['ACOG_RUNNER_CONFIG', 'ACOG_WATCH_NAMESPACES', 'ACOG_WATCH_NAMESPACE', 'ACOG_DATABASE_URL'])
      expect(text).toContain(`(env: ${variable})`);
  });

  it('names a missing required setting', () => {
    const result = operator(['--nats-url', 'nats://x:4222']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--runner-config (or ACOG_RUNNER_CONFIG) is required');
    const database = operator(['--runner-config', '/x', '--nats-url', 'nats://x:4222', '--no-leader-elect']);
    expect(database.code).toBe(1);
    expect(database.stderr).toContain(
      '--database-url (or ACOG_DATABASE_URL) is required: the PostgreSQL that holds the cost ledger and budgets',
    );
  });

  it('refuses a database URL that is not PostgreSQL, without printing its password', () => {
    const flags = ['--runner-config', '/x', '--nats-url', 'nats://x:4222', '--no-leader-elect'];
    const result = operator(flags, { ACOG_DATABASE_URL: 'mysql://acog:hunter2@db/acog' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      '--database-url (or ACOG_DATABASE_URL) has the scheme "mysql": expected postgres://USER:PASSWORD@HOST:PORT/DATABASE',
    );
    expect(result.stderr).not.toContain('hunter2');
    expect(operator([...flags, '--database-url', 'acog-postgresql:5432']).stderr).toContain(
      '--database-url (or ACOG_DATABASE_URL) has the scheme "acog-postgresql"',
    );
  });

  it('refuses bad values, from flags and from the environment', () => {
    expect(operator(['--workers', 'lots']).stderr).toContain('--workers must be a whole number from 1, not "lots"');
    expect(operator([], { ACOG_WORKERS: '0' }).stderr).toContain('--workers must be a whole number from 1, not "0"');
    expect(operator(['--nats-url', 'http://nats:4222']).stderr).toContain('--nats-url must be a nats or tls URL');
    expect(operator(['--http-address', 'everywhere']).stderr).toContain('expected host:port');
    expect(operator(['--log-level', 'loud']).stderr).toMatch(/--log-level.*loud.*Allowed choices are fatal, error, warn, info/s);
    expect(operator(['--episode-order', 'fastest']).stderr).toMatch(/--episode-order.*fastest.*Allowed choices are progress, arrival/s);
    expect(operator([], { ACOG_EPISODE_ORDER: 'random' }).stderr).toMatch(
      /--episode-order.*random.*Allowed choices are progress, arrival/s,
    );
    expect(operator(['--stage-slots', '-1']).stderr).toContain('--stage-slots must be a whole number from 0 (0 for no cap), not "-1"');
    expect(operator([], { ACOG_STAGE_SLOTS: '2.5' }).stderr).toContain(
      '--stage-slots must be a whole number from 0 (0 for no cap), not "2.5"',
    );
    const leader = operator(['--runner-config', '/x', '--nats-url', 'nats://x:4222']);
    expect(leader.stderr).toContain('leader election needs --lease-namespace (or POD_NAMESPACE)');
    expect(operator(['--runner-config', '/x', '--nats-url', 'nats://x:4222'], { ACOG_LEADER_ELECT: 'maybe' }).stderr).toContain(
      'ACOG_LEADER_ELECT must be true or false',
    );
  });

  it('says what is wrong in the runner configuration file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'operator-cli-'));
    await writeFile(join(dir, 'runner.yaml'), 'image: acog/runner:dev\nstages:\n  voise: {}\n');
    const result = operator(['--runner-config', join(dir, 'runner.yaml'), '--nats-url', 'nats://x:4222', '--no-leader-elect'], {
      ACOG_DATABASE_URL: 'postgres://acog:x@127.0.0.1:5432/acog',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('runner.yaml is invalid: stages.voise: unknown field');
  });
});

describe('--clock-file', () => {
  it('names the clock file that cannot be read or holds no RFC 3339 time', async () => {
    const flags = [
      '--runner-config',
      '/x',
      '--nats-url',
      'nats://x:4222',
      '--no-leader-elect',
      '--database-url',
      'postgres://acog@127.0.0.1:1/acog',
    ];
    const missing = operator([...flags, '--clock-file', '/nonexistent/now']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--clock-file: the clock file /nonexistent/now cannot be read (ENOENT)');
    const dir = await mkdtemp(join(tmpdir(), 'operator-clock-'));
    await writeFile(join(dir, 'now'), 'tomorrow at nine');
    const garbled = operator([...flags], { ACOG_CLOCK_FILE: join(dir, 'now') });
    expect(garbled.code).toBe(1);
    expect(garbled.stderr).toContain('holds "tomorrow at nine", not an RFC 3339 time such as 2027-03-28T01:30:00Z');
  });
});

describe('the namespaces it watches (--namespaces, --namespace)', () => {
  it('every namespace when neither is given', () => {
    expect(watchNamespaces({})).toBeUndefined();
  });

  it('a comma-separated list, spaces and empty items ignored, each once', () => {
    expect(watchNamespaces({ namespaces: 'studio' })).toEqual(['studio']);
    expect(watchNamespaces({ namespaces: 'studio,shorts' })).toEqual(['studio', 'shorts']);
    expect(watchNamespaces({ namespaces: ' studio , shorts,,studio,' })).toEqual(['studio', 'shorts']);
  });

  it('the older --namespace still works, alone or with --namespaces (their union)', () => {
    expect(watchNamespaces({ namespace: 'studio' })).toEqual(['studio']);
    expect(watchNamespaces({ namespaces: 'shorts', namespace: 'studio' })).toEqual(['shorts', 'studio']);
    expect(watchNamespaces({ namespaces: 'studio,shorts', namespace: 'studio' })).toEqual(['studio', 'shorts']);
  });

  it('refuses a value that names no namespace, and a name that cannot be one', () => {
    expect(() => watchNamespaces({ namespaces: '' })).toThrow(/--namespaces \(or ACOG_WATCH_NAMESPACES\) names no namespace/);
    expect(() => watchNamespaces({ namespaces: ' , ' })).toThrow(/names no namespace/);
    expect(() => watchNamespaces({ namespace: '' })).toThrow(/--namespace \(or ACOG_WATCH_NAMESPACE\) names no namespace/);
    expect(() => watchNamespaces({ namespaces: 'studio,Team_A' })).toThrow('"Team_A" is not a namespace name');
  });

  it('an empty list stops the operator at start, from the flag and from the environment', () => {
    const required = ['--runner-config', '/x', '--nats-url', 'nats://x:4222', '--no-leader-elect'];
    for (const result of [
      operator([...required, '--namespaces', '']),
      operator(required, { ACOG_WATCH_NAMESPACES: '' }),
      operator(required, { ACOG_WATCH_NAMESPACE: '' }),
    ]) {
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/names no namespace .*leave it out to watch every namespace/);
    }
    expect(operator(['--namespaces', 'a,B'])).toMatchObject({ code: 1, stderr: expect.stringContaining('"B" is not a namespace name') });
  });
});

describe('watchedInformer: one Informer per watched namespace, read as one', () => {
  const [first, second, other] = ['first', 'second', 'other'].map((name) => uniqueName(`informers-${name}`));
  const stops: (() => void)[] = [];
  let channel: Channel;

  const custom = () => kubeConfig().makeApiClient(CustomObjectsApi);
  const createChannel = (namespace: string, name: string) =>
    custom().createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: CHANNELS.plural,
      namespace,
      body: { ...channel, metadata: { name } },
    }) as Promise<Channel>;
  const channels = (namespaces: string[] | undefined) => {
    const informer = watchedInformer<Channel>(kubeConfig(), namespaces, (namespace) => ({
      name: CHANNELS.plural,
      ...customObjectSource<Channel>(kubeConfig().makeApiClient(CustomObjectsApi), {
        group: GROUP,
        version: VERSION,
        plural: CHANNELS.plural,
        namespace,
      }),
    }));
    stops.push(() => informer.stop());
    return informer;
  };
  const until = async (check: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  beforeAll(async () => {
    channel = parse(await readFile(new URL('../../examples/channel.yaml', import.meta.url), 'utf8')) as Channel;
    const core = kubeConfig().makeApiClient(CoreV1Api);
    for (const namespace of [first, second, other]) {
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      await createChannel(namespace, 'daily');
    }
  });
  afterAll(async () => {
    for (const stop of stops) stop();
    const core = kubeConfig().makeApiClient(CoreV1Api);
    for (const namespace of [first, second, other]) await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('is one Informer, cluster-wide or of its namespace, when it watches all or one', () => {
    const all = channels(undefined);
    const one = channels([first]);
    for (const informer of [all, one]) expect(informer).not.toBeInstanceOf(MultiNamespaceInformer);
    expect(channels([first, first])).not.toBeInstanceOf(MultiNamespaceInformer);
    expect(() => channels([])).toThrow('no namespace to watch');
  });

  it('over several namespaces: get, list, byIndex, size, handlers and upsert see those namespaces and no other', async () => {
    const informer = channels([first, second]);
    expect(informer).toBeInstanceOf(MultiNamespaceInformer);
    expect((informer as MultiNamespaceInformer<Channel>).namespaces).toEqual([first, second]);
    expect(informer.name).toBe(CHANNELS.plural);
    informer.addIndex('name', (object) => [object.metadata.name ?? '']);
    const events: [InformerEvent, string][] = [];
    informer.on((event, object) => events.push([event, `${object.metadata.namespace}/${object.metadata.name}`]));
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    await informer.waitForSync();
    expect(informer.hasSynced()).toBe(true);

    expect(informer.size).toBe(2);
    expect(
      informer
        .list()
        .map((object) => object.metadata.namespace)
        .sort(),
    ).toEqual([first, second].sort());
    expect(informer.list((object) => object.metadata.namespace === second)).toHaveLength(1);
    expect(informer.get(`${first}/daily`)?.metadata.namespace).toBe(first);
    expect(informer.get(`${second}/daily`)?.metadata.namespace).toBe(second);
    expect(informer.get(`${other}/daily`)).toBeUndefined();
    expect(
      informer
        .byIndex('name', 'daily')
        .map((object) => object.metadata.namespace)
        .sort(),
    ).toEqual([first, second].sort());
    expect(events.map(([event]) => event)).toEqual(['add', 'add']);
    expect(informer.sinceLastContactMs()).toBeLessThan(60_000);

    // The watch of each namespace goes on; the other namespace is never heard of.
    events.length = 0;
    await createChannel(other, 'weekly');
    await createChannel(second, 'weekly');
    await until(() => informer.get(`${second}/weekly`) !== undefined, 'the new Channel in the second namespace');
    expect(events).toEqual([['add', `${second}/weekly`]]);
    expect(informer.byIndex('name', 'weekly').map((object) => object.metadata.namespace)).toEqual([second]);

    // Our own write is recorded in its namespace's cache at once; one of another namespace nowhere.
    const current = informer.get(`${first}/daily`)!;
    const written = {
      ...current,
      metadata: { ...current.metadata, resourceVersion: String(BigInt(current.metadata.resourceVersion!) + 1_000_000n) },
      status: { observedGeneration: 42 },
    } as Channel;
    informer.upsert(written);
    expect(informer.get(`${first}/daily`)?.status).toEqual({ observedGeneration: 42 });
    informer.upsert({ ...written, metadata: { ...written.metadata, namespace: other } });
    expect(informer.get(`${other}/daily`)).toBeUndefined();
    expect(informer.size).toBe(3);
  });

  it('overrides every public member of Informer, so that none reads its own, empty cache', () => {
    const own = (prototype: object) => new Set(Object.getOwnPropertyNames(prototype));
    const overridden = own(MultiNamespaceInformer.prototype);
    // What is left of Informer's are its private methods, which only its own list and watch call.
    const inherited = [...own(Informer.prototype)].filter((name) => !overridden.has(name)).sort();
    expect(inherited).toEqual(['emit', 'put', 'relist', 'resync', 'run', 'store', 'watchOnce']);
  });
});
