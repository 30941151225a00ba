// `kubectl acog history`, `spend` and `pulse ls` end to end: the plugin, as a local user with a
// token or with a client certificate, through the real API server's aggregation layer (the
// APIService v1alpha1.history.acog.dev, a Service and Endpoints as the chart's, pointing at this
// machine), to a real gateway reading a real PostgreSQL. The API server dials an endpoint address
// that a Pod of the Service's namespace holds, never loopback, so the gateway listens on the
// machine's own non-loopback address, which a Pod object's status names.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiregistrationV1Api, CoreV1Api, DiscoveryV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { HISTORY_API } from '@acog/api';
import { migrate, openDatabase, type Database } from '@acog/db';
import { archiveEpisodes, type ArchiveRecord } from '@acog/db/archive';
import { Ledger } from '@acog/db/ledger';
import type { Gateway } from '@acog/console';
import { acog } from '@acog/kubectl-plugin/testing';
import { kubeConfig, kubectl, uniqueName } from '../support/env.ts';
import { createNamespace } from '../support/kube.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { insertPulseDecision, insertPulseEvent } from '../support/pulse-rows.ts';
import { startTestGateway } from './support.ts';

const systemNamespace = uniqueName('acog-sys');
const service = 'acog-console';
const apiService = 'v1alpha1.history.acog.dev';
const channel = uniqueName('plug');
const ns = 'team-a';
let gateway: Gateway;
let db: Database;
let pki: string;
let address: string;

function machineAddress(): string {
  for (const addresses of Object.values(networkInterfaces()))
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  throw new Error('this machine has no non-loopback IPv4 address for the API server to proxy to');
}

function record(n: number, overrides: Partial<ArchiveRecord> = {}): ArchiveRecord {
  const uid = `44444444-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    uid,
    namespace: ns,
    channel,
    name: `${channel}-${n}`,
    phase: 'Succeeded',
    topic: `Plugin episode ${n}`,
    labels: {},
    object: { metadata: { name: `${channel}-${n}`, uid }, spec: { channelRef: { name: channel }, topic: `Plugin episode ${n}` } },
    totalCostUSD: 1.25,
    resourceVersion: '3',
    finishedAt: new Date(Date.now() - n * 86_400_000).toISOString(),
    ...overrides,
  };
}

/** A CA and the gateway's serving certificate for the Service's DNS name, which the API server checks. */
async function servingCertificate(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const openssl = (...args: string[]) => promisify(execFile)('openssl', args);
  const file = (name: string) => join(dir, name);
  await openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=history-api-ca',
  );
  await openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    file('tls.key'),
    '-out',
    file('tls.csr'),
    '-subj',
    `/CN=${service}.${systemNamespace}.svc`,
  );
  await writeFile(file('tls.ext'), `subjectAltName=DNS:${service}.${systemNamespace}.svc\nextendedKeyUsage=serverAuth\n`);
  await openssl(
    'x509',
    '-req',
    '-in',
    file('tls.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('tls.crt'),
    '-days',
    '1',
    '-extfile',
    file('tls.ext'),
  );
  return { ca: file('ca.crt'), cert: file('tls.crt'), key: file('tls.key') };
}

beforeAll(async () => {
  const url = await createTestDatabase('plugin-history');
  db = openDatabase({ url });
  await migrate(db);
  await archiveEpisodes(db.pool, [
    record(1, { labels: { tier: 'gold' }, videoUrl: 'https://www.youtube.com/watch?v=abc' }),
    record(2, { phase: 'Failed', topic: 'Why B-trees stay shallow' }),
    record(40, { topic: 'An episode from long ago' }),
  ]);
  // Pulse decisions of the namespace's Channel, as the operator's matching stores them.
  for (const [id, title, score] of [
    ['p1', 'Rust 2.0 announced', 0.92],
    ['p2', 'Celebrity gossip of the day', 0.3],
  ] as const)
    await insertPulseEvent(db.pool, { source: 'trends', id, title, url: `https://news.example/${id}`, score, keywords: ['rust'] });
  await insertPulseDecision(db.pool, {
    source: 'trends',
    eventId: 'p1',
    namespace: ns,
    channel,
    outcome: 'created',
    reason: 'Created',
    message: `created Episode ${channel}-pulse-p1`,
    episode: `${channel}-pulse-p1`,
    decidedAt: new Date(Date.now() - 60_000).toISOString(),
  });
  await insertPulseDecision(db.pool, {
    source: 'trends',
    eventId: 'p2',
    namespace: ns,
    channel,
    outcome: 'skipped',
    reason: 'NoKeywordMatched',
    message: 'no keyword of the rule (rust, compilers) in the title, summary or keywords',
    decidedAt: new Date(Date.now() - 120_000).toISOString(),
  });
  const month = new Date().toISOString().slice(0, 7);
  await new Ledger(db).record([
    {
      namespace: ns,
      channel,
      episode: `${channel}-1`,
      episodeUid: record(1).uid,
      stage: 'voice',
      attempt: 1,
      outcome: 'Succeeded',
      provider: 'elevenlabs',
      usage: { characters: 1200 },
      costUSD: 1.25,
      finishedAt: new Date(),
      month,
    },
  ]);
  pki = await mkdtemp(join(tmpdir(), 'acog-history-api-'));
  const tls = await servingCertificate(pki);
  address = machineAddress();
  // The gateway reads the API server's requestheader settings from kube-system, as in a cluster.
  gateway = await startTestGateway({
    databaseUrl: url,
    address: '127.0.0.1:0',
    aggregated: { address: `${address}:0`, certFile: tls.cert, keyFile: tls.key },
  });
  const port = gateway.aggregatedPort!;

  // The chart's Service, with Endpoints to the gateway (the controller-manager here runs no
  // endpoint controllers: docs/adr/0027).
  const admin = kubeConfig('admin');
  const core = admin.makeApiClient(CoreV1Api);
  await createNamespace(admin, systemNamespace);
  await core.createNamespacedService({
    namespace: systemNamespace,
    body: {
      metadata: { name: service },
      spec: { ports: [{ name: 'history-api', port: 443, targetPort: port as never, protocol: 'TCP' }] },
    },
  });
  // The API server dials only an endpoint address that a Pod of the namespace holds (its
  // status.podIPs), so the gateway gets a Pod object with this machine's address, as a kubelet
  // would report it (no kubelet serves this namespace), and an EndpointSlice and Endpoints naming
  // it.
  await core.createNamespacedPod({
    namespace: systemNamespace,
    // No scheduler serves this name: the default one would write the Pod's status (Unschedulable:
    // no Node takes it) between the read and the replace below, which would then conflict.
    body: {
      metadata: { name: `${service}-0` },
      spec: { schedulerName: 'acog-test-unscheduled', containers: [{ name: 'console', image: 'acog/console:dev' }] },
    },
  });
  const pod = await core.readNamespacedPod({ namespace: systemNamespace, name: `${service}-0` });
  pod.status = { phase: 'Running', podIP: address, podIPs: [{ ip: address }] };
  await core.replaceNamespacedPodStatus({ namespace: systemNamespace, name: `${service}-0`, body: pod });
  const podRef = { kind: 'Pod', name: `${service}-0`, namespace: systemNamespace };
  await admin.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
    namespace: systemNamespace,
    body: {
      metadata: { name: `${service}-0`, labels: { 'kubernetes.io/service-name': service } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [address], conditions: { ready: true }, targetRef: podRef }],
      ports: [{ name: 'history-api', port, protocol: 'TCP' }],
    },
  });
  await core.createNamespacedEndpoints({
    namespace: systemNamespace,
    body: {
      metadata: { name: service },
      subsets: [{ addresses: [{ ip: address, targetRef: podRef }], ports: [{ name: 'history-api', port, protocol: 'TCP' }] }],
    },
  });
  // What the chart registers: the APIService, and every authenticated user may reach the group.
  await admin.makeApiClient(ApiregistrationV1Api).createAPIService({
    body: {
      metadata: { name: apiService },
      spec: {
        group: 'history.acog.dev',
        version: 'v1alpha1',
        service: { name: service, namespace: systemNamespace, port: 443 },
        caBundle: Buffer.from(await readFile(tls.ca)).toString('base64'),
        groupPriorityMinimum: 1000,
        versionPriority: 15,
      },
    },
  });
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createClusterRole({
    body: {
      metadata: { name: `${systemNamespace}-history-reader` },
      rules: [{ apiGroups: ['history.acog.dev'], resources: ['history', 'history/artifacts', 'spend', 'pulse'], verbs: ['get', 'list'] }],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: `${systemNamespace}-history-reader` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${systemNamespace}-history-reader` },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }],
    },
  });
  await kubectl(['wait', '--for=condition=Available', '--timeout=90s', `apiservice/${apiService}`]);
}, 180_000);

afterAll(async () => {
  const admin = kubeConfig('admin');
  // An APIService left behind with no gateway would make discovery incomplete for every other test.
  await admin
    .makeApiClient(ApiregistrationV1Api)
    .deleteAPIService({ name: apiService })
    .catch(() => undefined);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.deleteClusterRoleBinding({ name: `${systemNamespace}-history-reader` }).catch(() => undefined);
  await rbac.deleteClusterRole({ name: `${systemNamespace}-history-reader` }).catch(() => undefined);
  await gateway?.stop();
  await db?.close();
  await admin
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name: systemNamespace })
    .catch(() => undefined);
  if (pki) await rm(pki, { recursive: true, force: true });
});

const names = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s+/)[0]);

describe('kubectl acog history', () => {
  it('lists the archive through the API server as a user with a token, with filters', async () => {
    const all = await acog(['history', '-n', ns, '--channel', channel], { user: 'editor' });
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+CHANNEL\s+PHASE\s+COST\s+FINISHED$/);
    expect(names(all.stdout)).toEqual([`${channel}-1`, `${channel}-2`, `${channel}-40`]);
    expect(lines[1]).toMatch(/Succeeded\s+\$1\.25\s+\d+[smh]$/);

    const recent = await acog(['history', '-n', ns, '--channel', channel, '--since', '30d', '--phase', 'Failed'], { user: 'editor' });
    expect(names(recent.stdout)).toEqual([`${channel}-2`]);

    const wide = await acog(['history', '-n', ns, '--channel', channel, '-l', 'tier=gold', '-o', 'wide'], { user: 'editor' });
    expect(wide.stdout).toContain('https://www.youtube.com/watch?v=abc');
    expect(wide.stdout.trim().split('\n')).toHaveLength(2);

    const limited = await acog(['history', '-n', ns, '--channel', channel, '--limit', '1'], { user: 'admin' });
    expect(limited.code).toBe(0);
    expect(limited.stdout.trim().split('\n')).toHaveLength(2);
    expect(limited.stderr).toMatch(/the first 1; --limit shows more/);
  });

  it('works for users whose kubeconfig holds a client certificate and no token', async () => {
    const editor = await acog(['history', '-n', ns, '--channel', channel], { user: 'editor-cert' });
    expect(editor.stderr).toBe('');
    expect(editor.code).toBe(0);
    expect(names(editor.stdout)).toEqual([`${channel}-1`, `${channel}-2`, `${channel}-40`]);

    // The viewer's groups (O= in its certificate) reach the gateway's SubjectAccessReview too.
    const json = await acog(['history', '-n', ns, '--channel', channel, '--search', 'b-trees', '-o', 'json'], { user: 'viewer-cert' });
    expect(json.stderr).toBe('');
    const list = JSON.parse(json.stdout) as { kind: string; items: { name: string; phase: string }[] };
    expect(list.kind).toBe('List');
    expect(list.items).toEqual([expect.objectContaining({ name: `${channel}-2`, phase: 'Failed' })]);
  });

  it("refuses another namespace's history with the gateway's reason, for a token and a certificate alike", async () => {
    for (const user of ['editor', 'editor-cert'] as const) {
      const refused = await acog(['history', '-n', 'team-b'], { user });
      expect(refused.code, user).toBe(1);
      expect(refused.stderr, user).toMatch(/^error: user "acog-editor" may not list episodes\.acog\.dev in namespace team-b/);
    }
    const bad = await acog(['history', '-n', ns, '--since', 'last-week'], { user: 'editor-cert' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: since: "last-week" is neither a duration/);
  });

  it('believes identity headers only from the API server: a client without its front-proxy certificate is refused', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `https://${address}:${gateway.aggregatedPort}${HISTORY_API}/namespaces/${ns}/history`,
        { headers: { 'x-remote-user': 'acog-admin', 'x-remote-group': 'system:masters' }, rejectUnauthorized: false },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect(answer.body).toMatch(/client certificate signed by its requestheader client CA is required/);
  });

  it('answers discovery, so kubectl api-resources and api-versions keep working', async () => {
    expect(await kubectl(['api-versions'], 'viewer-cert')).toContain('history.acog.dev/v1alpha1');
    const resources = await kubectl(['api-resources', '-o', 'name']);
    expect(resources.split('\n').sort()).toEqual(expect.arrayContaining(['channels.acog.dev', 'episodes.acog.dev']));
    const raw = JSON.parse(await kubectl(['get', '--raw', HISTORY_API], 'editor-cert')) as { kind: string; groupVersion: string };
    expect(raw).toMatchObject({ kind: 'APIResourceList', groupVersion: 'history.acog.dev/v1alpha1' });
  });
});

describe('kubectl acog spend', () => {
  it('shows the month per Channel against its budget, and per stage and provider', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const shown = await acog(['spend', '-n', ns, '--channel', channel, '--month', month], { user: 'editor-cert' });
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toContain(`Spend in ${month}:`);
    expect(shown.stdout).toMatch(new RegExp(`${channel} \\(deleted\\)\\s+\\$1\\.25\\s+\\$0\\.00\\s+<none>`));
    expect(shown.stdout).toMatch(new RegExp(`${channel}\\s+voice\\s+elevenlabs\\s+1\\s+\\$1\\.25`));
    expect(shown.stdout).toContain(`Total ${month}: $1.25`);
    const yaml = await acog(['spend', '-n', ns, '--channel', channel, '--month', month, '-o', 'yaml'], { user: 'editor' });
    expect(yaml.stdout).toMatch(/totalUSD: 1\.25/);
  });
});

describe('kubectl acog pulse ls', () => {
  it("lists the namespace's pulse decisions through the API server, with a client certificate or a token", async () => {
    for (const user of ['editor-cert', 'viewer'] as const) {
      const shown = await acog(['pulse', 'ls', '-n', ns, '--channel', channel], { user });
      expect(shown.stderr).toBe('');
      expect(shown.code).toBe(0);
      const lines = shown.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^EVENT\s+CHANNEL\s+SCORE\s+DECISION\s+EPISODE\s+AGE$/);
      expect(lines[1]).toMatch(new RegExp(`^trends/p1\\s+${channel}\\s+0\\.92\\s+Created.*\\s+${channel}-pulse-p1\\s+\\d+[sm]$`));
      expect(lines[2]).toMatch(new RegExp(`^trends/p2\\s+${channel}\\s+0\\.30\\s+NoKeywordMatched\\s+<none>\\s+\\d+[sm]$`));
      expect(lines).toHaveLength(3);
    }
    const wide = await acog(['pulse', 'ls', '-n', ns, '--channel', channel, '-o', 'wide'], { user: 'viewer-cert' });
    expect(wide.stdout).toMatch(/Celebrity gossip of the day\s+no keyword of the rule \(rust, compilers\)/);
    const json = await acog(['pulse', 'ls', '-n', ns, '--channel', channel, '--limit', '1', '-o', 'json'], { user: 'editor' });
    const list = JSON.parse(json.stdout) as { kind: string; items: { id: string; outcome: string }[] };
    expect(list.kind).toBe('List');
    expect(list.items).toEqual([expect.objectContaining({ id: 'p1', outcome: 'created' })]);
  });

  it("says so when nothing was decided, and refuses another namespace's inbox", async () => {
    const empty = await acog(['pulse', 'ls', '-n', ns, '--channel', 'no-such-channel'], { user: 'editor-cert' });
    expect(empty.code).toBe(0);
    expect(empty.stderr).toMatch(/^No pulse decisions for Channel no-such-channel in team-a namespace/);
    for (const user of ['editor', 'editor-cert'] as const) {
      const refused = await acog(['pulse', 'ls', '-n', 'team-b'], { user });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/may not list episodes\.acog\.dev in namespace team-b/);
    }
    const all = await acog(['pulse', 'ls', '-A'], { user: 'viewer' });
    expect(all.code).toBe(2);
    expect(all.stderr).toMatch(/pulse ls is per namespace: drop -A/);
  });
});
