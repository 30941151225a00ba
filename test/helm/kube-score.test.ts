// The rendered chart passes kube-score (built from the Go module proxy, docs/adr/0007) with every
// check, the optional ones included; the accepted findings and their reasons are in
// hack/tools/kube-score/exceptions.yaml.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartTools, exec, namespaces, repoRoot, succeeded, template, TOOLS_BUILD_TIMEOUT, VALUE_SETS } from './support.ts';

interface Exception {
  check: string;
  objects?: string[];
  valueSets?: string[];
  reason: string;
}

interface ScoredObject {
  object_name: string;
  type_meta: { kind: string };
  object_meta: { name: string };
  checks: {
    check: { id: string };
    grade: number;
    skipped: boolean;
    comments: { path: string; summary: string; description: string }[] | null;
  }[];
}

interface Finding {
  check: string;
  object: string;
  grade: number;
  comments: string[];
}

const GRADE_OK = 10;

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

let config: { kubernetesVersion: string; exceptions: Exception[] };
const used = new Set<Exception>();

beforeAll(async () => {
  await chartTools();
  config = parse(await readFile(join(repoRoot, 'hack/tools/kube-score/exceptions.yaml'), 'utf8'));
}, TOOLS_BUILD_TIMEOUT);

async function score(rendered: string): Promise<Finding[]> {
  const { kubeScore } = await chartTools();
  const result = await exec(
    kubeScore,
    ['score', '-', '--all-default-optional', '--kubernetes-version', config.kubernetesVersion, '-o', 'json'],
    {
      input: rendered,
    },
  );
  // kube-score exits 1 when it has critical findings; the JSON says which.
  if (result.code > 1 || !result.stdout.trim().startsWith('[')) succeeded(result, 'kube-score');
  const objects = JSON.parse(result.stdout) as ScoredObject[];
  return objects.flatMap((object) =>
    object.checks
      .filter((check) => !check.skipped && check.grade < GRADE_OK)
      .map((check) => ({
        check: check.check.id,
        object: `${object.type_meta.kind}/${object.object_meta.name}`,
        grade: check.grade,
        comments: (check.comments ?? []).map((c) => `${c.path} ${c.summary}`.trim()),
      })),
  );
}

function exceptionFor(finding: Finding, valueSet: string): Exception | undefined {
  return config.exceptions.find(
    (e) =>
      e.check === finding.check &&
      (!e.objects || e.objects.some((pattern) => glob(pattern).test(finding.object))) &&
      (!e.valueSets || e.valueSets.includes(valueSet)),
  );
}

describe('the exceptions', () => {
  it('each names a check kube-score has, and gives its reason', async () => {
    const { kubeScore } = await chartTools();
    const checks = new Set(
      succeeded(await exec(kubeScore, ['list']), 'kube-score list')
        .trim()
        .split('\n')
        .map((line) => line.split(',')[0]),
    );
    expect(config.exceptions.length).toBeGreaterThan(0);
    for (const exception of config.exceptions) {
      expect(checks, exception.check).toContain(exception.check);
      for (const valueSet of exception.valueSets ?? []) expect(Object.keys(VALUE_SETS), exception.check).toContain(valueSet);
      expect(exception.reason?.trim().length ?? 0, `${exception.check} has no reason`).toBeGreaterThan(40);
    }
  });
});

describe.each(Object.entries(VALUE_SETS))('kube-score of the chart with %s', (name, valuesOf) => {
  it('finds nothing beyond the written exceptions', async () => {
    const ns = namespaces('acog');
    const findings = await score(succeeded(await template('acog', ns.release, valuesOf(ns)), 'helm template'));
    const unexcused = findings.filter((finding) => {
      const exception = exceptionFor(finding, name);
      if (exception) used.add(exception);
      return !exception;
    });
    expect(unexcused).toEqual([]);
  });
});

describe('kube-score itself', () => {
  it('would fail the chart: a Pod without its hardening is found', async () => {
    const ns = namespaces('acog');
    const rendered = succeeded(await template('acog', ns.release, {}), 'helm template');
    const findings = await score(rendered.replace(/readOnlyRootFilesystem: true/g, 'readOnlyRootFilesystem: false'));
    const unexcused = findings.filter((finding) => !exceptionFor(finding, 'defaults'));
    expect(unexcused.map((f) => f.check)).toContain('container-security-context-readonlyrootfilesystem');
    expect(unexcused.map((f) => f.object)).toContain('Deployment/acog-operator');
  });

  it('every exception was needed by some value set (none is stale)', () => {
    // Runs after the value sets above (vitest runs a file's tests in order).
    expect(config.exceptions.filter((e) => !used.has(e)).map((e) => e.check)).toEqual([]);
  });
});
