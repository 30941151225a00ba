// The gateway's security review (issue #12), against the real servers: bodies bounded before they
// are read, artifacts confined to their episode and served so that none runs as a page, CSRF on
// every write, identity headers only from the proxy and only with the user, failed sign-ins held
// off, review caches that tell users apart, the session cookie Secure behind TLS, a Channel's
// readiness only to who may get it, stage logs of long names, the internal port, and overrides
// the Channel does not allow refused.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS, labelValue, type Episode } from '@acog/api';
import type { Gateway } from '@acog/console';
import { repoRoot } from '@acog/hack/paths';
import { kubeConfig, localEnv, s3Client, uniqueName } from '../support/env.ts';
import { getEpisode } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { call, eventually, serviceAccountUser, startTestGateway, token } from './support.ts';

type ErrorAnswer = { error: { status: number; reason: string; message: string; fields?: { field: string; message: string }[] } };

const MiB = 1024 * 1024;
const prefix = uniqueName('sec');
const channel = `${prefix}-ch`;
let gateway: Gateway;

beforeAll(async () => {
  await apply('team-a', await testChannel(channel));
  await apply('team-b', await testChannel(channel));
  gateway = await startTestGateway({ internalAddress: '127.0.0.1:0' });
});

afterAll(async () => {
  await gateway?.stop();
});

async function patchStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void> {
  await kubeConfig()
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObjectStatus(
      { group: 'acog.dev', version: 'v1alpha1', namespace, plural: 'episodes', name, body: { status } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Request bodies, in a gateway process of its own so that its memory can be measured.

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resident memory of a process, in bytes (Linux). */
async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

interface Posted {
  status: number;
  body: string;
  /** Bytes written before the answer came. */
  sent: number;
}

/**
 * POSTs `total` bytes in 64 KiB chunks, chunked (no Content-Length) unless a Content-Length is
 * given (then it is claimed, and the body sent stops at the answer); stops writing at the answer.
 */
/**
 * The server answers 413 and closes while the client still writes; on a loaded machine the client's
 * next write can fail (EPIPE, ECONNRESET) before it has parsed the answer that did arrive. Such a
 * request is sent again, up to three times in all: an answer is still required, and each try
 * streams the whole oversized body at the server.
 */
async function postUntilAnswered(url: string, headers: Record<string, string>, total: number): Promise<Posted> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await post(url, headers, total);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 3 || (code !== 'EPIPE' && code !== 'ECONNRESET')) throw error;
    }
  }
}

function post(url: string, headers: Record<string, string>, total: number, contentLength?: number): Promise<Posted> {
  const target = new URL(url);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const request = httpRequest({
      host: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      method: 'POST',
      agent: false,
      headers: {
        ...headers,
        ...(contentLength === undefined ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(contentLength) }),
      },
    });
    request.on('response', (response) => {
      answered = true;
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString(), sent });
        request.destroy();
      });
      response.on('error', reject);
    });
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    // One chunk at a time, and slowly over the first 2 MiB (every limit is below that), so that the
    // answer is read before the next write: a client that keeps writing after the server answered
    // and closed gets EPIPE, sometimes before it has read the answer. Past that, at full speed.
    const next = () => (sent < 2 * MiB ? setTimeout(pump, 10) : setImmediate(pump));
    const pump = () => {
      if (answered) return;
      if (sent >= total) {
        if (contentLength === undefined) request.end();
        return;
      }
      sent += chunk.length;
      if (request.write(chunk)) next();
      else request.once('drain', next);
    };
    pump();
  });
}

describe('request bodies', () => {
  let child: ChildProcess | undefined;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    const env = localEnv();
    dir = await mkdtemp(join(tmpdir(), 'acog-console-bodies-'));
    const kubeconfig = join(dir, 'kubeconfig.json');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'local',
            cluster: { server: env.kubernetes.server, 'certificate-authority-data': Buffer.from(env.kubernetes.caData).toString('base64') },
          },
        ],
        users: [{ name: 'admin', user: { token: env.kubernetes.tokens.admin } }],
        contexts: [{ name: 'local', context: { cluster: 'local', user: 'admin' } }],
        'current-context': 'local',
      }),
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(
      process.execPath,
      [
        join(repoRoot, 'console', 'src', 'main.ts'),
        '--kubeconfig',
        kubeconfig,
        '--http-address',
        `127.0.0.1:${port}`,
        '--internal-address',
        '',
        '--no-artifacts',
        '--log-level',
        'error',
      ],
      {
        env: { ...process.env, ACOG_HEYGEN_WEBHOOK: 'true', ACOG_NATS_URL: env.nats.url },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    await eventually(
      'the gateway process ready',
      async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
      60_000,
    );
  }, 90_000);

  afterAll(async () => {
    child?.kill('SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a streamed oversized POST without Content-Length with 413 on every route, and its memory does not grow', async () => {
    const pid = child!.pid!;
    const routes: [string, Record<string, string>][] = [
      ['/webhooks/heygen?namespace=team-a', { 'content-type': 'application/json', 'heygen-signature': 'aa' }],
      ['/api/v1/session', { 'content-type': 'application/json', 'x-acog-console': '1' }],
      [
        '/api/v1/namespaces/team-a/episodes',
        { 'content-type': 'application/json', 'x-acog-console': '1', authorization: `Bearer ${token('admin')}` },
      ],
      [`/api/v1/namespaces/team-a/episodes/${prefix}-x/cancel`, { 'x-acog-console': '1', authorization: `Bearer ${token('admin')}` }],
    ];
    // Warm up every route with a body it takes, so that what is measured is the bodies alone.
    for (const [path, headers] of routes)
      await post(`${url}${path}`, headers, 0).catch((error: Error) => {
        throw new Error(`warming ${path}: ${error.message}`);
      });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await rss(pid);
    for (const [path, headers] of routes) {
      const answer = await postUntilAnswered(`${url}${path}`, headers, 256 * MiB).catch((error: Error) => {
        throw new Error(`${path}: ${error.message}`);
      });
      expect(answer.status, path).toBe(413);
      expect((JSON.parse(answer.body) as ErrorAnswer).error.reason, path).toBe('PayloadTooLarge');
    }
    const grown = (await rss(pid)) - before;
    expect(grown, `the gateway grew by ${(grown / MiB).toFixed(1)} MiB`).toBeLessThan(8 * MiB);
  }, 120_000);

  it('refuses a Content-Length over the limit at once, and takes a body within it', async () => {
    const answer = await post(`${url}/api/v1/session`, { 'content-type': 'application/json', 'x-acog-console': '1' }, 64 * 1024, 300 * MiB);
    expect(answer.status).toBe(413);
    expect(answer.sent).toBeLessThan(300 * MiB);
    const small = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-acog-console': '1' },
      body: JSON.stringify({ token: token('viewer') }),
    });
    expect(small.status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Artifacts.

describe('artifacts', () => {
  const name = `${prefix}-art`;
  let episode: Episode;
  let other: Episode;
  const url = (path: string) => `${gateway.url}/api/v1/namespaces/team-a/episodes/${name}/artifacts/${path}`;
  const viewer = () => ({ authorization: `Bearer ${token('viewer')}` });

  beforeAll(async () => {
    episode = (await apply('team-a', await testEpisode(name, channel))) as unknown as Episode;
    other = (await apply('team-b', await testEpisode(`${prefix}-secret`, channel))) as unknown as Episode;
    const own = `team-a/${name}/${episode.metadata.uid}`;
    const theirs = `team-b/${prefix}-secret/${other.metadata.uid}`;
    const put = (bucket: string, key: string, body: string, type: string) =>
      s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: type }));
    await put(BUCKETS.assets, `${theirs}/assemble/1/video.mp4`, 'team-b private bytes', 'video/mp4');
    await put(BUCKETS.assets, `${own}/assemble/1/page.html`, '<script>alert(document.cookie)</script>', 'text/html');
    await put(
      BUCKETS.assets,
      `${own}/assemble/1/drawing.svg`,
      '<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
      'image/svg+xml',
    );
    await put(BUCKETS.assets, `${own}/assemble/1/captions.vtt`, 'WEBVTT\n', 'text/vtt');
    await put(BUCKETS.assets, `${own}/assemble/1/thumbnail.jpg`, 'jpeg', 'image/jpeg');
    await put(BUCKETS.scripts, `${own}/metadata/1/metadata.json`, '{"title":"t"}', 'application/json');
    await put(BUCKETS.scripts, `${own}/assemble/1/video.mp4`, 'in the wrong bucket', 'video/mp4');
    await patchStatus('team-a', name, {
      phase: 'Succeeded',
      artifacts: {
        // Another namespace's episode: listed, but not this episode's.
        video: `s3://${BUCKETS.assets}/${theirs}/assemble/1/video.mp4`,
        thumbnail: `s3://${BUCKETS.assets}/${own}/assemble/1/thumbnail.jpg`,
        captionsVtt: `s3://${BUCKETS.assets}/${own}/assemble/1/captions.vtt`,
        // Its own prefix, but a key that climbs out of it.
        captionsSrt: `s3://${BUCKETS.assets}/${own}/assemble/1/../../../../../${theirs}/assemble/1/video.mp4`,
        metadata: `s3://${BUCKETS.scripts}/${own}/metadata/1/metadata.json`,
      },
      stages: [
        {
          name: 'assemble',
          phase: 'Succeeded',
          attempt: 1,
          artifacts: [
            `s3://${BUCKETS.assets}/${own}/assemble/1/page.html`,
            `s3://${BUCKETS.assets}/${own}/assemble/1/drawing.svg`,
            `s3://${BUCKETS.scripts}/${own}/assemble/1/video.mp4`,
          ],
        },
      ],
    });
    await eventually('the status in the cache', () => gateway.cache.episode('team-a', name)?.status?.stages?.length);
  });

  it("serves no URI outside the episode's own prefix and its stage's bucket", async () => {
    const elsewhere = await fetch(url('video'), { headers: viewer() });
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.text()).not.toContain('team-b private bytes');
    expect((await fetch(url('captionsSrt'), { headers: viewer() })).status).toBe(404);
    expect((await fetch(url('assemble/video.mp4'), { headers: viewer() })).status).toBe(404);
    expect((await fetch(url('thumbnail'), { headers: viewer() })).status).toBe(200);
  });

  it('serves media and captions inline, JSON as a download, anything else as an attachment, all sandboxed', async () => {
    const vtt = await fetch(url('captionsVtt'), { headers: viewer() });
    expect(vtt.status).toBe(200);
    expect(vtt.headers.get('content-type')).toBe('text/vtt');
    expect(vtt.headers.get('content-disposition')).toMatch(/^inline/);
    const image = await fetch(url('thumbnail'), { headers: viewer() });
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(image.headers.get('content-disposition')).toMatch(/^inline/);
    const metadata = await fetch(url('metadata'), { headers: viewer() });
    expect(metadata.headers.get('content-type')).toBe('application/json');
    expect(metadata.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(await metadata.json()).toEqual({ title: 't' });
    for (const file of ['page.html', 'drawing.svg']) {
      const answer = await fetch(url(`assemble/${file}`), { headers: viewer() });
      expect(answer.status, file).toBe(200);
      expect(answer.headers.get('content-type'), file).toBe('application/octet-stream');
      expect(answer.headers.get('content-disposition'), file).toBe(`attachment; filename="${file}"`);
      expect(answer.headers.get('x-content-type-options'), file).toBe('nosniff');
      expect(answer.headers.get('content-security-policy'), file).toMatch(/; sandbox$/);
      await answer.arrayBuffer();
    }
    const presigned = await fetch(`${url('assemble/page.html')}?redirect=1`, { headers: viewer(), redirect: 'manual' });
    expect(presigned.status).toBe(302);
    const fromS3 = await fetch(presigned.headers.get('location')!);
    expect(fromS3.headers.get('content-type')).toBe('application/octet-stream');
    expect(fromS3.headers.get('content-disposition')).toMatch(/^attachment/);
    await fromS3.arrayBuffer();
  });

  it('answers prototype names with 404, not 500', async () => {
    for (const artifact of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const answer = await fetch(url(artifact), { headers: viewer() });
      expect(answer.status, artifact).toBe(404);
      await answer.arrayBuffer();
    }
  });

  it('puts the Content-Security-Policy on every answer: API answers and errors too', async () => {
    const answers = [
      await fetch(`${gateway.url}/api/v1/episodes`, { headers: viewer() }),
      await fetch(`${gateway.url}/api/v1/episodes`),
      await fetch(`${gateway.url}/api/v1/namespaces/team-a/episodes/${prefix}-none`, { headers: viewer() }),
      await fetch(`${gateway.url}/healthz`),
    ];
    for (const answer of answers) {
      expect(answer.headers.get('content-security-policy'), answer.url).toContain("frame-ancestors 'none'");
      expect(answer.headers.get('x-content-type-options'), answer.url).toBe('nosniff');
      await answer.arrayBuffer();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 4. CSRF and the authenticating proxy.

describe('writes and the authenticating proxy', () => {
  let proxied: Gateway;
  let untrusting: Gateway;
  const name = `${prefix}-csrf`;
  const proxyHeaders = { 'x-remote-user': 'acog-editor', 'x-remote-group': 'acog:editors' };

  beforeAll(async () => {
    await apply('team-a', await testEpisode(name, channel));
    const authProxy = { userHeader: 'X-Remote-User', groupsHeader: 'X-Remote-Group', trustedAddresses: ['127.0.0.1', '::1'] };
    proxied = await startTestGateway({ authProxy });
    untrusting = await startTestGateway({ authProxy: { ...authProxy, trustedAddresses: ['192.0.2.10'] } });
    await eventually('the episode in the cache', () => proxied.cache.episode('team-a', name));
  });

  afterAll(async () => {
    await proxied?.stop();
    await untrusting?.stop();
  });

  it("refuses a cross-site form's POST through the proxy, and takes the console's", async () => {
    const path = `${proxied.url}/api/v1/namespaces/team-a/episodes/${name}`;
    const form = await fetch(`${path}/cancel`, {
      method: 'POST',
      headers: { ...proxyHeaders, 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: 'x=1',
    });
    expect(form.status).toBe(403);
    expect(((await form.json()) as ErrorAnswer).error.message).toMatch(/X-ACOG-Console/);
    expect((await getEpisode('team-a', name)).spec.cancel).toBeFalsy();
    const consoleWrite = await fetch(`${path}/suspend`, { method: 'POST', headers: { ...proxyHeaders, 'x-acog-console': '1' } });
    expect(consoleWrite.status).toBe(200);
    expect((await getEpisode('team-a', name)).spec.suspend).toBe(true);
  });

  it('asks the header of every write, however the user signed in', async () => {
    const path = `${gateway.url}/api/v1/namespaces/team-a/episodes/${name}/resume`;
    const bearer = await fetch(path, { method: 'POST', headers: { authorization: `Bearer ${token('editor')}` } });
    expect(bearer.status).toBe(403);
    const signIn = await fetch(`${gateway.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: token('editor') }),
    });
    expect(signIn.status).toBe(403);
    expect(signIn.headers.get('set-cookie')).toBeNull();
  });

  it('honours the groups header only with the user header, and identity headers only from the proxy', async () => {
    const groupsAlone = await fetch(`${proxied.url}/api/v1/episodes`, { headers: { 'x-remote-group': 'system:masters' } });
    expect(groupsAlone.status).toBe(401);
    expect(((await groupsAlone.json()) as ErrorAnswer).error.message).toMatch(/X-Remote-Group without X-Remote-User/);
    const emptyUser = await fetch(`${proxied.url}/api/v1/episodes`, {
      headers: { 'x-remote-user': ' ', 'x-remote-group': 'system:masters' },
    });
    expect(emptyUser.status).toBe(401);
    await emptyUser.arrayBuffer();
    const spoofed = await fetch(`${untrusting.url}/api/v1/episodes`, {
      headers: { ...proxyHeaders, authorization: `Bearer ${token('viewer')}` },
    });
    expect(spoofed.status).toBe(401);
    expect(((await spoofed.json()) as ErrorAnswer).error.message).toMatch(/only from the authenticating proxy's addresses/);
    const fromProxy = await fetch(`${proxied.url}/api/v1/session`, { headers: proxyHeaders });
    expect(await fromProxy.json()).toMatchObject({ username: 'acog-editor', groups: ['acog:editors'], via: 'proxy' });
  });
});

// ---------------------------------------------------------------------------------------------
// 5. The rest of the review.

describe('failed authentications', () => {
  let limited: Gateway;

  beforeAll(async () => {
    limited = await startTestGateway({ authFailuresPerMinute: 3, trustedProxies: ['127.0.0.1'] });
  });

  afterAll(async () => {
    await limited?.stop();
  });

  const reviews = async () =>
    Number(
      /acog_console_reviews_total\{kind="TokenReview",outcome="rejected"\} (\d+)/.exec(await limited.metrics.registry.metrics())?.[1] ?? 0,
    );
  const asClient = (client: string, bearer: string) =>
    fetch(`${limited.url}/api/v1/episodes`, { headers: { authorization: `Bearer ${bearer}`, 'x-forwarded-for': client } });

  it('holds a client off with 429 and Retry-After once it had three tokens refused, before any more TokenReviews', async () => {
    // A good token, reviewed (and so cached) before.
    expect((await asClient('203.0.113.7', token('viewer'))).status).toBe(200);
    expect((await asClient('203.0.113.7', 'guess-0')).status).toBe(401);
    // The same refused token again is no new guess.
    expect((await asClient('203.0.113.7', 'guess-0')).status).toBe(401);
    for (let i = 1; i < 3; i++) expect((await asClient('203.0.113.7', `guess-${i}`)).status).toBe(401);
    const sent = await reviews();
    const held = await asClient('203.0.113.7', 'guess-3');
    expect(held.status).toBe(429);
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await held.json()) as ErrorAnswer).error.reason).toBe('TooManyRequests');
    const signIn = await fetch(`${limited.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-acog-console': '1', 'x-forwarded-for': '203.0.113.7' },
      body: JSON.stringify({ token: 'guess-4' }),
    });
    expect(signIn.status).toBe(429);
    expect(await reviews()).toBe(sent);
    // A token already reviewed still works; another client is not held off.
    expect((await asClient('203.0.113.7', token('viewer'))).status).toBe(200);
    expect((await asClient('203.0.113.8', 'guess-0')).status).toBe(401);
  });
});

describe('errors and cookies', () => {
  it("answers hono's own errors with their status: malformed JSON is a 400", async () => {
    const response = await fetch(`${gateway.url}/api/v1/namespaces/team-a/episodes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token('editor')}`, 'content-type': 'application/json', 'x-acog-console': '1' },
      body: '{"metadata": ',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorAnswer).error.status).toBe(400);
  });

  it('marks the session cookie Secure behind TLS (a trusted proxy says so), or when told to', async () => {
    const behindTls = await startTestGateway({ trustedProxies: ['127.0.0.1', '::1'] });
    const forced = await startTestGateway({ secureCookies: true });
    try {
      const signIn = (target: Gateway, headers: Record<string, string> = {}) =>
        fetch(`${target.url}/api/v1/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-acog-console': '1', ...headers },
          body: JSON.stringify({ token: token('viewer') }),
        }).then((response) => response.headers.get('set-cookie') ?? '');
      expect(await signIn(behindTls)).not.toMatch(/Secure/);
      expect(await signIn(behindTls, { 'x-forwarded-proto': 'https' })).toMatch(/; Secure/);
      // From an address that is not a trusted proxy, the header means nothing.
      expect(await signIn(gateway, { 'x-forwarded-proto': 'https' })).not.toMatch(/Secure/);
      expect(await signIn(forced)).toMatch(/; Secure/);
      const signOut = await fetch(`${behindTls.url}/api/v1/session`, {
        method: 'DELETE',
        headers: { 'x-acog-console': '1', 'x-forwarded-proto': 'https' },
      });
      expect(signOut.headers.get('set-cookie')).toMatch(/Max-Age=0.*|; Secure/);
      expect(signOut.headers.get('set-cookie')).toMatch(/Secure/);
    } finally {
      await behindTls.stop();
      await forced.stop();
    }
  });
});

describe('episode detail and logs', () => {
  it("shows a Channel's readiness only to a user who may get the Channel", async () => {
    const name = `${prefix}-ready`;
    await apply('team-a', await testEpisode(name, channel));
    await eventually('the episode in the cache', () => gateway.cache.episode('team-a', name));
    const reader = await serviceAccountUser('team-a', `${prefix}-episodes-only`, [
      { apiGroups: ['acog.dev'], resources: ['episodes'], verbs: ['get', 'list'] },
    ]);
    try {
      const auth = (bearer: string) => ({ authorization: `Bearer ${bearer}` });
      const mine = (await (
        await fetch(`${gateway.url}/api/v1/namespaces/team-a/episodes/${name}`, { headers: auth(reader.token) })
      ).json()) as {
        channel: unknown;
        stages: unknown[];
      };
      expect(mine.channel).toBeNull();
      expect(mine.stages).toHaveLength(9);
      const viewer = (await (
        await fetch(`${gateway.url}/api/v1/namespaces/team-a/episodes/${name}`, { headers: auth(token('viewer')) })
      ).json()) as {
        channel: { name: string; ready: boolean } | null;
      };
      expect(viewer.channel?.name).toBe(channel);
    } finally {
      await reader.revoke();
    }
  });

  it('finds the pod of an episode whose name is longer than a label value', async () => {
    const name = `${prefix}-${'a-very-long-episode-name-'.repeat(3)}end`;
    expect(name.length).toBeGreaterThan(63);
    await apply('team-a', await testEpisode(name, channel));
    await patchStatus('team-a', name, { phase: 'Running', stages: [{ name: 'plan', phase: 'Running', attempt: 1 }] });
    const pod = `${prefix}-long-plan-1`;
    await kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedPod({
        namespace: 'team-a',
        body: {
          metadata: {
            name: pod,
            labels: { 'acog.dev/episode': labelValue(name), 'acog.dev/stage': 'plan', 'acog.dev/attempt': '1' },
          },
          spec: { containers: [{ name: 'runner', image: 'acog/runner:dev' }] },
        },
      });
    try {
      await eventually('the status in the cache', () => gateway.cache.episode('team-a', name)?.status?.stages?.length);
      const logs = await call<ErrorAnswer>(gateway, 'viewer', 'GET', `/api/v1/namespaces/team-a/episodes/${name}/stages/plan/logs`);
      // No node runs it here, so it has no log yet; what matters is that it was found.
      expect(logs.status, JSON.stringify(logs.body)).toBe(409);
      expect(logs.body.error.message).toContain(pod);
    } finally {
      await kubeConfig().makeApiClient(CoreV1Api).deleteNamespacedPod({ namespace: 'team-a', name: pod, gracePeriodSeconds: 0 });
    }
  });
});

describe('the internal port', () => {
  it('serves /metrics and /openapi.json there, and on the public port only to this machine, never through a proxy', async () => {
    expect(gateway.internalUrl).toBeDefined();
    const metrics = await fetch(`${gateway.internalUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/acog_console_http_requests_total/);
    const doc = (await (await fetch(`${gateway.internalUrl}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/api/v1/episodes');
    expect((await fetch(`${gateway.internalUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${gateway.internalUrl}/api/v1/episodes`)).status).toBe(404);
    for (const path of ['/metrics', '/openapi.json']) {
      const throughIngress = await fetch(`${gateway.url}${path}`, { headers: { 'x-forwarded-for': '198.51.100.1' } });
      expect(throughIngress.status, path).toBe(404);
      await throughIngress.arrayBuffer();
      const forwarded = await fetch(`${gateway.url}${path}`, { headers: { forwarded: 'for=198.51.100.1' } });
      expect(forwarded.status, path).toBe(404);
      await forwarded.arrayBuffer();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Overrides the Channel does not allow.

describe('episode overrides', () => {
  it('refuses an Episode whose overrides name a Secret or base URL its Channel does not allow, naming the fields', async () => {
    const body = (providers: object) => ({
      metadata: { name: `${prefix}-ovr` },
      spec: { channelRef: { name: channel }, topic: 'Overrides', overrides: { providers } },
    });
    const stealing = body({ llm: { provider: 'openai', secretRef: { name: 'team-a-youtube' }, baseURL: 'https://attacker.example/v1' } });
    const check = await call<{ valid: boolean; fields: { field: string }[] }>(
      gateway,
      'editor',
      'POST',
      '/api/v1/namespaces/team-a/episodes?dryRun=client',
      stealing,
    );
    expect(check.body.valid).toBe(false);
    expect(check.body.fields.map((field) => field.field)).toEqual([
      'spec.overrides.providers.llm.secretRef',
      'spec.overrides.providers.llm.baseURL',
    ]);
    const refused = await call<ErrorAnswer>(gateway, 'editor', 'POST', '/api/v1/namespaces/team-a/episodes', stealing);
    expect(refused.status).toBe(422);
    expect(refused.body.error.reason).toBe('Invalid');
    expect(refused.body.error.fields!.map((field) => field.field)).toEqual([
      'spec.overrides.providers.llm.secretRef',
      'spec.overrides.providers.llm.baseURL',
    ]);
    expect(refused.body.error.fields![0].message).toMatch(/Secret "team-a-youtube" is not the Channel's own for llm/);
    const modelOnly = await call(
      gateway,
      'editor',
      'POST',
      '/api/v1/namespaces/team-a/episodes',
      body({ llm: { provider: 'offline', model: 'x' } }),
    );
    expect(modelOnly.status).toBe(201);
  });
});
