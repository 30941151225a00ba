// Server-sent events, the HeyGen webhook and artifacts with Range, against the real servers.
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS, type Episode, type HeyGenWakeUp, judgeHeyGenWakeUp, WEBHOOKS_STREAM } from '@acog/api';
import { WEBHOOK_DELIVERIES_PER_MINUTE, type Gateway } from '@acog/console';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { kubeConfig, localEnv, s3Client, uniqueName } from '../support/env.ts';
import { getEpisode } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { makeTestVideo } from './media.ts';
import { eventually, startTestGateway, token } from './support.ts';

let gateway: Gateway;
const prefix = uniqueName('live');
const channel = `${prefix}-ch`;

beforeAll(async () => {
  await apply('team-a', await testChannel(channel));
  gateway = await startTestGateway({ heygenWebhook: true, heartbeatMs: 300 });
});

afterAll(async () => {
  await gateway?.stop();
});

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** A streaming SSE reader over fetch, as the console's client. */
async function openStream(user: 'admin' | 'editor' | 'viewer', query = '', lastEventId?: string) {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${token(user)}`, accept: 'text/event-stream' };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const response = await fetch(`${gateway.url}/api/v1/stream${query}`, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  const done = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(':');
              const field = line.slice(0, colon);
              const value = line.slice(colon + 1).replace(/^ /, '');
              if (field === 'id' || field === 'event') event[field] = value;
              if (field === 'data') event.data = (event.data ? `${event.data}\n` : '') + value;
            }
          }
          events.push(event);
        }
      }
    } catch {
      // aborted
    }
  })();
  return { response, events, close: () => controller.abort(), done };
}

async function setStatus(namespace: string, name: string, phase: string, progress: string): Promise<void> {
  const api = kubeConfig().makeApiClient(CustomObjectsApi);
  const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
  await api.patchNamespacedCustomObjectStatus(
    { group: 'acog.dev', version: 'v1alpha1', namespace, plural: 'episodes', name, body: { status: { phase, progress } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

const changesOf = (events: SseEvent[], name: string) =>
  events
    .filter((event) => event.event === 'episode')
    .map((event) => JSON.parse(event.data!) as { name: string; object: { phase: string; progress?: string } })
    .filter((change) => change.name === name);

describe('server-sent events', () => {
  it('brings a status change made in the API server to a connected client, with heartbeats', async () => {
    const name = `${prefix}-sse`;
    await apply('team-a', await testEpisode(name, channel));
    await eventually('the episode in the cache', () => gateway.cache.episode('team-a', name));
    const stream = await openStream('editor', '?namespace=team-a');
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/text\/event-stream/);
    await eventually('the ready event', () => stream.events.find((event) => event.event === 'ready'));
    await setStatus('team-a', name, 'Running', '1/9');
    const change = await eventually('the change on the stream', () =>
      changesOf(stream.events, name).find((c) => c.object.phase === 'Running'),
    );
    expect(change.object.progress).toBe('1/9');
    await eventually('a heartbeat', () => stream.events.find((event) => event.comment?.startsWith('heartbeat')));
    stream.close();
  });

  it('replays what a client missed when it reconnects with Last-Event-ID, and tells it to reload when the id is unknown', async () => {
    const name = `${prefix}-resume`;
    await apply('team-a', await testEpisode(name, channel));
    await eventually('the episode in the cache', () => gateway.cache.episode('team-a', name));
    const first = await openStream('admin', '?namespace=team-a');
    await setStatus('team-a', name, 'Running', '1/9');
    await eventually('the first change', () => changesOf(first.events, name).find((c) => c.object.progress === '1/9'));
    const lastId = first.events.filter((event) => event.id).at(-1)!.id!;
    first.close();
    // While disconnected: three more changes.
    for (const progress of ['2/9', '3/9', '4/9']) await setStatus('team-a', name, 'Running', progress);
    await eventually('the changes in the gateway', () => gateway.cache.episode('team-a', name)?.status?.progress === '4/9');
    const second = await openStream('admin', '?namespace=team-a', lastId);
    const replayed = await eventually('the missed changes', () => {
      const progress = changesOf(second.events, name).map((c) => c.object.progress);
      return progress.includes('4/9') && progress;
    });
    expect(replayed).toEqual(['2/9', '3/9', '4/9']);
    expect(second.events.some((event) => event.event === 'reset')).toBe(false);
    second.close();
    const stale = await openStream('admin', '?namespace=team-a', 'zzz.1');
    await eventually('a reset', () => stale.events.find((event) => event.event === 'reset'));
    stale.close();
  });

  it('sends a user nothing from namespaces it may not list', async () => {
    await apply('team-b', await testChannel(channel));
    const name = `${prefix}-hidden`;
    await apply('team-b', await testEpisode(name, channel));
    const editor = await openStream('editor');
    const admin = await openStream('admin');
    await eventually('the streams ready', () => editor.events.length > 0 && admin.events.length > 0);
    await setStatus('team-b', name, 'Running', '5/9');
    await eventually('the admin sees it', () => changesOf(admin.events, name).find((c) => c.object.progress === '5/9'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(changesOf(editor.events, name)).toEqual([]);
    editor.close();
    admin.close();
    const denied = await fetch(`${gateway.url}/api/v1/stream?namespace=team-b`, {
      headers: { authorization: `Bearer ${token('editor')}` },
    });
    expect(denied.status).toBe(403);
  });
});

describe('HeyGen webhook', () => {
  const sign = (body: string, secret: string) => createHmac('sha256', secret).update(body).digest('hex');
  const post = (body: string, headers: Record<string, string> = {}, namespace = 'team-a') =>
    fetch(`${gateway.url}/webhooks/heygen?namespace=${namespace}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const relayed = async (subject: string) => {
    const nc = await connect({ servers: localEnv().nats.url });
    try {
      const message = await jetstream(nc)
        .streams.get(WEBHOOKS_STREAM)
        .then((stream) => stream.getMessage({ last_by_subj: subject }));
      return message!.json<HeyGenWakeUp>();
    } finally {
      await nc.close();
    }
  };

  it('relays an unsigned per-video callback as a wake-up, the body as it came; a repeat is answered as done', async () => {
    const videoId = `v${Date.now()}`;
    const body = JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://x/v.mp4' } });
    const accepted = await post(body);
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ subject: `acog.webhooks.team-a.heygen.${videoId}`, duplicate: false });
    const wakeUp = await relayed(`acog.webhooks.team-a.heygen.${videoId}`);
    expect(wakeUp).toMatchObject({ provider: 'heygen', videoId, eventType: 'avatar_video.success' });
    expect(wakeUp.signature).toBeUndefined();
    expect(Buffer.from(wakeUp.body, 'base64').toString('utf8')).toBe(body);
    // The runner judges it: unsigned, so only a reason to read the status.
    expect(judgeHeyGenWakeUp(wakeUp, 'whsec_anything')).toBe('unsigned');
    const repeat = await post(body);
    expect(repeat.status).toBe(202);
    expect(await repeat.json()).toMatchObject({ duplicate: true });
  });

  it('relays a signed endpoint delivery with its headers, for the runner that knows the secret to verify', async () => {
    const videoId = `s${Date.now()}`;
    const secret = 'whsec_live_test';
    const body = JSON.stringify({ event_type: 'avatar_video.fail', event_data: { video_id: videoId, msg: 'no' } });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const accepted = await post(body, {
      'heygen-signature': sign(body, secret),
      'heygen-timestamp': timestamp,
      'heygen-event-id': `evt_${videoId}`,
    });
    expect(accepted.status).toBe(202);
    const wakeUp = await relayed(`acog.webhooks.team-b.heygen.${videoId}`).catch(() => undefined);
    expect(wakeUp).toBeUndefined();
    const mine = await relayed(`acog.webhooks.team-a.heygen.${videoId}`);
    expect(mine).toMatchObject({ videoId, timestamp, eventId: `evt_${videoId}` });
    expect(judgeHeyGenWakeUp(mine, secret)).toBe('signed');
    expect(judgeHeyGenWakeUp(mine, 'whsec_another')).toBe('forged');
    expect(judgeHeyGenWakeUp(mine, undefined)).toBe('unverifiable');
  });

  it("answers HeyGen's check of the URL (OPTIONS) at once", async () => {
    const check = await fetch(`${gateway.url}/webhooks/heygen?namespace=team-a`, { method: 'OPTIONS' });
    expect(check.status).toBe(204);
  });

  it('refuses a malformed body or a missing namespace with their status codes', async () => {
    const body = JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: 'abc' } });
    // Without the namespace its runner waits in, a callback has nowhere to go (acog.webhooks.<namespace>.…).
    const nowhere = await fetch(`${gateway.url}/webhooks/heygen`, { method: 'POST', body });
    expect(nowhere.status).toBe(400);
    expect((await post('{"event_type":')).status).toBe(400);
    expect((await post('[1]')).status).toBe(400);
    const noVideo = await post(JSON.stringify({ event_type: 'avatar_video.success', event_data: {} }));
    expect(noVideo.status).toBe(422);
    expect(((await noVideo.json()) as { error: { message: string } }).error.message).toMatch(/^event_data.video_id/);
  });

  it("bounds what one namespace relays a minute (429 with Retry-After), leaving other namespaces' deliveries alone", async () => {
    const flooded = `flood-${Date.now() % 100000}`;
    const answers: number[] = [];
    for (let i = 0; i < WEBHOOK_DELIVERIES_PER_MINUTE + 1; i++) {
      const body = JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: `f${i}x${Date.now()}` } });
      answers.push((await post(body, {}, flooded)).status);
    }
    expect(answers.slice(0, WEBHOOK_DELIVERIES_PER_MINUTE).every((status) => status === 202)).toBe(true);
    const refused = await post(JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: 'one-more' } }), {}, flooded);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const elsewhere = await post(JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: `e${Date.now()}` } }));
    expect(elsewhere.status).toBe(202);
  });
});

describe('artifacts', () => {
  it('serves a real MP4 from S3 with Range, as a video player asks', async () => {
    const name = `${prefix}-video`;
    const created = (await apply('team-a', await testEpisode(name, channel))) as unknown as Episode;
    const video = await readFile(await makeTestVideo());
    const key = `team-a/${name}/${created.metadata.uid}/assemble/1/video.mp4`;
    await s3Client().send(new PutObjectCommand({ Bucket: BUCKETS.assets, Key: key, Body: video, ContentType: 'video/mp4' }));
    const api = kubeConfig().makeApiClient(CustomObjectsApi);
    const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
    await api.patchNamespacedCustomObjectStatus(
      {
        group: 'acog.dev',
        version: 'v1alpha1',
        namespace: 'team-a',
        plural: 'episodes',
        name,
        body: { status: { phase: 'Succeeded', artifacts: { video: `s3://${BUCKETS.assets}/${key}` } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually('the artifact in the cache', () => gateway.cache.episode('team-a', name)?.status?.artifacts?.video);
    const url = `${gateway.url}/api/v1/namespaces/team-a/episodes/${name}/artifacts/video`;
    const auth = { authorization: `Bearer ${token('viewer')}` };

    const whole = await fetch(url, { headers: auth });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await whole.arrayBuffer()).equals(video)).toBe(true);

    const middle = await fetch(url, { headers: { ...auth, range: 'bytes=100-1099' } });
    expect(middle.status).toBe(206);
    expect(middle.headers.get('content-range')).toBe(`bytes 100-1099/${video.length}`);
    expect(Buffer.from(await middle.arrayBuffer()).equals(video.subarray(100, 1100))).toBe(true);

    const open = await fetch(url, { headers: { ...auth, range: `bytes=${video.length - 10}-` } });
    expect(Buffer.from(await open.arrayBuffer()).equals(video.subarray(video.length - 10))).toBe(true);
    const suffix = await fetch(url, { headers: { ...auth, range: 'bytes=-500' } });
    expect(suffix.headers.get('content-range')).toBe(`bytes ${video.length - 500}-${video.length - 1}/${video.length}`);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(video.subarray(video.length - 500))).toBe(true);
    const beyond = await fetch(url, { headers: { ...auth, range: `bytes=${video.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${video.length}`);
    await beyond.arrayBuffer();

    const redirect = await fetch(`${url}?redirect=1`, { headers: auth, redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const presigned = await fetch(redirect.headers.get('location')!, { headers: { range: 'bytes=0-9' } });
    expect(Buffer.from(await presigned.arrayBuffer()).equals(video.subarray(0, 10))).toBe(true);

    expect((await fetch(`${gateway.url}/api/v1/namespaces/team-a/episodes/${name}/artifacts/thumbnail`, { headers: auth })).status).toBe(
      404,
    );
    expect((await fetch(url)).status).toBe(401);
    expect((await getEpisode('team-a', name)).status?.phase).toBe('Succeeded');
  });
});
