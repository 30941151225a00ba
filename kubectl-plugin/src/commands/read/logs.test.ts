// `logs` against the real API server. The tests create the Jobs and Pods the operator and the Job
// controller would (each Job is marked managedBy this test, so that the control plane's real Job
// controller leaves it alone, as it does for any Job another controller manages), and, for log content, a Node whose kubelet endpoint is a small HTTPS server here: the API server
// itself looks the pod up, finds its node and proxies /containerLogs from that "kubelet".
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { LABELS, type EpisodeStatus, type StageName } from '@acog/api';
import { uniqueName } from '../../../../test/support/env.ts';
import {
  acog,
  admin,
  awaitingVoiceStatus,
  createChannel,
  createEpisode,
  freshNamespace,
  minutesAgo,
  setEpisodeStatus,
  start,
  until,
} from '../../testing.ts';

let ns: string;
let kubelet: Server;
let kubeletPort: number;
const requests: string[] = [];
const certDir = mkdtempSync(join(tmpdir(), 'acog-kubelet-'));
const node = uniqueName('acog-test-node');
const deadNode = uniqueName('acog-test-node-dead');

/** What the fake kubelet answers for a pod's log, by pod name. */
const logs = new Map<string, (res: import('node:http').ServerResponse) => void>();

function job(episode: string, stage: StageName, attempt: number): string {
  return `${episode}-${stage}-${attempt}-5e1f0a`;
}

async function createJob(episode: string, stage: StageName, attempt: number): Promise<string> {
  const name = job(episode, stage, attempt);
  const labels = {
    [LABELS.episode]: episode,
    [LABELS.stage]: stage,
    [LABELS.attempt]: String(attempt),
    [LABELS.channel]: 'engineering-explained',
  };
  await admin()
    .makeApiClient(BatchV1Api)
    .createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name, labels },
        spec: {
          managedBy: 'acog.dev/logs-test',
          backoffLimit: 0,
          template: {
            metadata: { labels },
            spec: { restartPolicy: 'Never', containers: [{ name: 'runner', image: 'acog-runner:dev', args: [stage] }] },
          },
        },
      },
    });
  return name;
}

/** A pod of a Job, as the Job controller would create it; on a node when given. */
async function createPod(jobName: string, nodeName?: string, suffix = 'x7k2p'): Promise<string> {
  const name = `${jobName}-${suffix}`;
  const pod: V1Pod = {
    metadata: { name, labels: { 'batch.kubernetes.io/job-name': jobName, 'job-name': jobName } },
    spec: { restartPolicy: 'Never', nodeName, containers: [{ name: 'runner', image: 'acog-runner:dev' }] },
  };
  await admin().makeApiClient(CoreV1Api).createNamespacedPod({ namespace: ns, body: pod });
  return name;
}

async function createNode(name: string, port: number): Promise<void> {
  await admin()
    .makeApiClient(CoreV1Api)
    .createNode({
      body: {
        metadata: { name },
        // The scheduler places nothing here: the tests bind their Pods by name.
        spec: { taints: [{ key: 'acog.dev/logs-test', effect: 'NoSchedule' }] },
        status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } },
      },
    });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function episodeStatus(name: string): EpisodeStatus {
  const status = awaitingVoiceStatus(ns, name);
  status.phase = 'Running';
  status.stages![4] = { name: 'voice', phase: 'Running', attempt: 2, jobName: job(name, 'voice', 2), startedAt: minutesAgo(1) };
  return status;
}

beforeAll(async () => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(certDir, 'key.pem'),
      '-out',
      join(certDir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=kubelet',
    ],
    {
      stdio: 'ignore',
    },
  );
  kubelet = createServer({ key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) }, (req, res) => {
    requests.push(req.url ?? '');
    const pod = (req.url ?? '').split('?')[0].split('/')[3];
    const answer = logs.get(pod);
    if (answer) answer(res);
    else res.writeHead(404).end(`pod ${pod} unknown to this kubelet`);
  });
  await new Promise<void>((resolve) => kubelet.listen(0, '127.0.0.1', resolve));
  kubeletPort = (kubelet.address() as { port: number }).port;
  await createNode(node, kubeletPort);
  await createNode(deadNode, await freePort());

  ns = await freshNamespace('read-logs');
  // Pods need the namespace's "default" ServiceAccount (the ServiceAccount admission plugin), which its controller makes.
  const core = admin().makeApiClient(CoreV1Api);
  for (
    let tries = 0;
    !(await core.readNamespacedServiceAccount({ namespace: ns, name: 'default' }).then(
      () => true,
      () => false,
    ));
    tries++
  ) {
    if (tries > 150) throw new Error(`namespace ${ns} has no "default" ServiceAccount after 30s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await createChannel(ns);
  await createEpisode(ns, 'ep');
  await setEpisodeStatus(ns, 'ep', episodeStatus('ep'));
  await createJob('ep', 'script', 1);
  await createJob('ep', 'voice', 1);
  await createJob('ep', 'voice', 2);
  await createPod(job('ep', 'voice', 2));
  await createPod(job('ep', 'voice', 1), node);
  logs.set(`${job('ep', 'voice', 1)}-x7k2p`, (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('voice: 412 words, 163.2s of narration\nvoice: wrote narration.wav\n');
  });
});

afterAll(async () => {
  kubelet?.close();
  kubelet?.closeAllConnections();
  rmSync(certDir, { recursive: true, force: true });
  const core = admin().makeApiClient(CoreV1Api);
  for (const name of [node, deadNode]) await core.deleteNode({ name }).catch(() => undefined);
});

describe('logs: finding the pod', () => {
  it('says when the stage has no Job yet', async () => {
    expect(await acog(['logs', 'ep', '--stage', 'avatar', '-n', ns])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: stage avatar has not started: no Job yet\n',
    });
    await createEpisode(ns, 'at-the-gate');
    await setEpisodeStatus(ns, 'at-the-gate', awaitingVoiceStatus(ns, 'at-the-gate'));
    // Default: the stage waiting now.
    expect((await acog(['logs', 'at-the-gate', '-n', ns])).stderr).toBe(
      'error: stage voice has not started: no Job yet (it waits for approval)\n',
    );
  });

  it('says when an episode has not started at all', async () => {
    await createEpisode(ns, 'not-started');
    expect((await acog(['logs', 'not-started', '-n', ns])).stderr).toBe('error: episode not-started has not started any stage yet\n');
  });

  it('says when the Job has no pod yet', async () => {
    const result = await acog(['logs', 'ep', '--stage', 'script', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: job ${job('ep', 'script', 1)} (stage script, attempt 1) has no pod yet: the Job controller has not created it\n`,
    );
  });

  it('says when a finished Job has lost its pod', async () => {
    const jobName = await createJob('ep', 'upload', 1);
    const batch = admin().makeApiClient(BatchV1Api);
    const finishedJob = await batch.readNamespacedJob({ name: jobName, namespace: ns });
    const at = new Date(Date.now() - 60_000);
    finishedJob.status = {
      startTime: at,
      completionTime: at,
      succeeded: 1,
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: at },
        { type: 'Complete', status: 'True', lastTransitionTime: at },
      ],
    };
    await batch.replaceNamespacedJobStatus({ name: jobName, namespace: ns, body: finishedJob });
    const result = await acog(['logs', 'ep', '--stage', 'upload', '-n', ns]);
    expect(result.stderr).toBe(
      `error: job ${jobName} (stage upload, attempt 1) finished (Complete) and its pod is gone: its log went with it\n`,
    );
  });

  it('says when the attempt does not exist', async () => {
    const result = await acog(['logs', 'ep', '--stage', 'voice', '--attempt', '3', '-n', ns]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'error: stage voice has no attempt 3: its Jobs are attempts 1, 2\n' });
  });

  it('explains that a pod without a node has no log (the API server gives none)', async () => {
    // Default: the running stage (voice), its newest attempt (2), whose pod is not scheduled.
    const result = await acog(['logs', 'ep', '-n', ns]);
    expect(result.code).toBe(1);
    const pod = `${job('ep', 'voice', 2)}-x7k2p`;
    expect(result.stderr).toBe(
      `stage voice, attempt 2: pod ${pod}\n` +
        `error: pod ${pod} has no node yet: it is not scheduled, so no container ran and there is no log (phase Pending)\n`,
    );
  });

  it('asks for --stage when several stages run', async () => {
    await createEpisode(ns, 'parallel');
    const status = episodeStatus('parallel');
    status.stages![6] = { name: 'broll', phase: 'Running', attempt: 1, startedAt: minutesAgo(1) };
    status.currentStage = 'voice,broll';
    await setEpisodeStatus(ns, 'parallel', status);
    expect((await acog(['logs', 'parallel', '-n', ns])).stderr).toBe(
      'error: episode parallel runs several stages now (voice, broll): choose one with --stage\n',
    );
  });

  it('exits 2 on a wrong stage or attempt, 1 for a missing episode', async () => {
    expect((await acog(['logs', 'ep', '--stage', 'render', '-n', ns])).code).toBe(2);
    expect((await acog(['logs', 'ep', '--attempt', '0', '-n', ns])).code).toBe(2);
    expect(await acog(['logs', 'nope', '-n', ns])).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: episode "nope" not found in namespace "${ns}"\n`,
    });
  });

  it('refuses the editor outside team-a with the permission it lacks', async () => {
    const result = await acog(['logs', 'ep', '-n', 'team-b'], { user: 'editor' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot get resource "episodes" in API group "acog.dev" in the namespace "team-b"');
  });
});

describe('logs: reading the log through the API server', () => {
  it('prints the log of the chosen attempt', async () => {
    const result = await acog(['logs', 'ep', '--stage', 'voice', '--attempt', '1', '-n', ns]);
    expect(result).toEqual({ code: 0, stdout: 'voice: 412 words, 163.2s of narration\nvoice: wrote narration.wav\n', stderr: '' });
    expect(requests.at(-1)).toBe(`/containerLogs/${ns}/${job('ep', 'voice', 1)}-x7k2p/runner`);
  });

  it('passes --tail and --timestamps on, and the viewer may read', async () => {
    const result = await acog(['logs', 'ep', '--stage', 'voice', '--attempt', '1', '--tail', '5', '--timestamps', '-n', ns], {
      user: 'viewer',
    });
    expect(result.code).toBe(0);
    expect(requests.at(-1)).toMatch(/\?(?=.*tailLines=5)(?=.*timestamps=true)/);
  });

  it('-f follows the log until the container ends it', async () => {
    const jobName = await createJob('ep', 'assemble', 1);
    const pod = await createPod(jobName, node);
    let finish: () => void = () => undefined;
    logs.set(pod, (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('assemble: pass 1/2\n');
      finish = () => res.end('assemble: done\n');
    });
    const run = start(['logs', 'ep', '--stage', 'assemble', '-f', '-n', ns]);
    await until(() => run.stdout.text === 'assemble: pass 1/2\n', 'the first line');
    expect(requests.at(-1)).toContain('follow=true');
    finish();
    expect(await run.done).toBe(0);
    expect(run.stdout.text).toBe('assemble: pass 1/2\nassemble: done\n');
    expect(run.stderr.text).toBe(`stage assemble, attempt 1: pod ${pod}\n`);
  });

  it('-f stops on Ctrl-C with exit code 130', async () => {
    const jobName = await createJob('ep', 'broll', 1);
    const pod = await createPod(jobName, node);
    logs.set(pod, (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('broll: clip 1/8\n');
    });
    const before = new Set(process.listeners('SIGINT'));
    const run = start(['logs', 'ep', '--stage', 'broll', '-f', '-n', ns]);
    await until(() => run.stdout.text === 'broll: clip 1/8\n', 'the first line');
    (process.listeners('SIGINT').find((listener) => !before.has(listener)) as () => void)();
    expect(await run.done).toBe(130);
    expect(run.stderr.text).toContain('error: interrupted\n');
  });

  it("passes the kubelet's refusal on", async () => {
    const jobName = await createJob('ep', 'metadata', 1);
    const pod = await createPod(jobName, node);
    logs.set(pod, (res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`container "runner" in pod "${pod}" is waiting to start: ContainerCreating`);
    });
    const result = await acog(['logs', 'ep', '--stage', 'metadata', '--attempt', '1', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^error: cannot read the log of pod ${pod} on node ${node} \\(400\\): .*is waiting to start: ContainerCreating\\n$`),
    );
  });

  it('explains when the API server cannot reach the kubelet', async () => {
    const jobName = await createJob('ep', 'refine', 1);
    const pod = await createPod(jobName, deadNode);
    const result = await acog(['logs', 'ep', '--stage', 'refine', '--attempt', '1', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^error: cannot read the log of pod ${pod}: the API server cannot reach the kubelet of node ${deadNode}: .*connection refused\\n$`,
      ),
    );
  });

  it('explains when the pod names a node the cluster does not have', async () => {
    const jobName = await createJob('ep', 'plan', 1);
    const pod = await createPod(jobName, 'no-such-node');
    const result = await acog(['logs', 'ep', '--stage', 'plan', '--attempt', '1', '-n', ns]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^error: cannot read the log of pod ${pod}: the API server does not know its node "no-such-node" \\(.*not found\\)\\n$`),
    );
  });
});
