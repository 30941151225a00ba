// Every value set, rendered by helm template, passes `kubectl apply --dry-run=server` against the
// real API server of the local control plane, which has the CRDs installed: the API server's own
// validation of every object (schemas, strict fields, CEL of the admission policy, RBAC rules).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  chartTools,
  kubectlResult,
  namespaces,
  namespacesOf,
  parseManifests,
  repoRoot,
  succeeded,
  template,
  TOOLS_BUILD_TIMEOUT,
  VALUE_SETS,
} from './support.ts';

const created: string[] = [];

async function ensureNamespaces(names: string[]): Promise<void> {
  for (const name of names) {
    const result = await kubectlResult(['create', 'namespace', name]);
    if (result.code !== 0 && !/AlreadyExists/.test(result.stderr)) succeeded(result, `kubectl create namespace ${name}`);
    if (result.code === 0) created.push(name);
  }
}

function dryRun(yaml: string) {
  return kubectlResult(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: yaml });
}

beforeAll(async () => {
  await chartTools();
  // The chart's optional ServiceMonitor needs the Prometheus Operator's CRD.
  const crd = await readFile(join(repoRoot, 'test/helm/fixtures/servicemonitor-crd.yaml'), 'utf8');
  succeeded(await kubectlResult(['apply', '--server-side', '-f', '-'], { input: crd }), 'installing the ServiceMonitor CRD');
  succeeded(
    await kubectlResult(['wait', '--for=condition=Established', '--timeout=60s', 'crd/servicemonitors.monitoring.coreos.com']),
    'waiting for the CRD',
  );
}, TOOLS_BUILD_TIMEOUT);

afterAll(async () => {
  for (const name of created) await kubectlResult(['delete', 'namespace', name, '--wait=false']);
});

describe.each(Object.entries(VALUE_SETS))('helm template with %s', (_name, valuesOf) => {
  it('passes kubectl apply --dry-run=server', async () => {
    const ns = namespaces('acog-dry');
    const rendered = succeeded(await template('acog', ns.release, valuesOf(ns)), 'helm template');
    const manifests = parseManifests(rendered);
    await ensureNamespaces(namespacesOf(manifests));
    const result = await dryRun(rendered);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // One line per object, each accepted by the server: nothing skipped.
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(manifests.length);
    for (const line of lines) expect(line).toMatch(/ (created|configured|unchanged) \(server dry run\)$/);
    const accepted = lines.map((line) => line.split(' ')[0]).sort();
    const sent = manifests.map((m) => `${m.kind.toLowerCase()}${group(m.apiVersion)}/${m.metadata.name}`).sort();
    expect(accepted).toEqual(sent);
  });
});

describe('the dry run is a real check', () => {
  it('refuses a rendered object that the API server would not take, naming the field', async () => {
    const ns = namespaces('acog-dry');
    const manifests = parseManifests(succeeded(await template('acog', ns.release, {}), 'helm template'));
    await ensureNamespaces(namespacesOf(manifests));
    const broken = structuredClone(manifests);
    const deployment = broken.find((m) => m.kind === 'Deployment')!;
    const container = (deployment.spec as { template: { spec: { containers: { securityContext: { capabilities: unknown } }[] } } }).template
      .spec.containers[0];
    container.securityContext.capabilities = { drop: 'ALL' };
    const policy = broken.find((m) => m.kind === 'ValidatingAdmissionPolicy')!;
    (policy.spec as { validations: { expression: string }[] }).validations[0].expression = 'object.spec == oldObject.spec)';
    // YAML 1.1, as kubectl reads it: 'off' stays a string.
    const result = await dryRun(broken.map((m) => stringify(m, { version: '1.1' })).join('---\n'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Deployment.*spec\.template\.spec\.containers\.securityContext\.capabilities\.drop/);
    expect(result.stderr).toMatch(/spec\.validations\[0\]\.expression: Invalid value.*compil/);
  });
});

/** How kubectl names an API group after the resource: "" for the core group, ".apps" for apps/v1. */
function group(apiVersion: string): string {
  return apiVersion.includes('/') ? `.${apiVersion.split('/')[0]}` : '';
}
