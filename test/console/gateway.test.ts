// The gateway's API with the three local users: admin (everything), editor (ACOG objects in team-a
// only) and viewer (read-only everywhere). Each sees and can do exactly what RBAC gives it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_ANNOTATION_PREFIX, RETRY_REQUESTED_ANNOTATION, RETRY_STAGE_ANNOTATION } from '@acog/api';
import type { Gateway } from '@acog/console';
import { uniqueName } from '../support/env.ts';
import { getEpisode } from '../support/operator.ts';
import { apply, testChannel, testEpisode } from '../support/pipeline-objects.ts';
import { call, eventually, startTestGateway } from './support.ts';

type Page = { items: { namespace: string; name: string; phase: string }[]; total: number; continue?: string };
type ErrorAnswer = {
  error: {
    status: number;
    reason: string;
    message: string;
    missing?: Record<string, string>;
    fields?: { field: string; message: string }[];
  };
};

let gateway: Gateway;
const prefix = uniqueName('gw');
const channel = `${prefix}-ch`;
const inA = `${prefix}-a`;
const inB = `${prefix}-b`;

beforeAll(async () => {
  for (const namespace of ['team-a', 'team-b']) await apply(namespace, await testChannel(channel));
  await apply('team-a', await testEpisode(inA, channel, (episode) => (episode.spec.approvalGates = ['voice'])));
  await apply('team-b', await testEpisode(inB, channel));
  for (let i = 0; i < 3; i++)
    await apply('team-a', await testEpisode(`${prefix}-p${i}`, channel, (episode) => (episode.spec.topic = `Paging topic ${i}`)));
  gateway = await startTestGateway();
  await eventually('the episodes in the cache', () => gateway.cache.episode('team-a', inA) && gateway.cache.episode('team-b', inB));
});

afterAll(async () => {
  await gateway?.stop();
});

describe('authentication', () => {
  it('refuses a request without credentials, with a bad token and with a malformed header', async () => {
    const none = await call<ErrorAnswer>(gateway, null, 'GET', '/api/v1/episodes');
    expect(none.status).toBe(401);
    expect(none.body.error.message).toMatch(/no credentials/);
    const bad = await fetch(`${gateway.url}/api/v1/episodes`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as ErrorAnswer).error.message).toMatch(/not accepted/);
    const basic = await fetch(`${gateway.url}/api/v1/episodes`, { headers: { authorization: 'Basic YTpi' } });
    expect(basic.status).toBe(401);
  });

  it('names the user, and signs in with a token into an HttpOnly cookie that then authenticates', async () => {
    const me = await call<{ username: string }>(gateway, 'editor', 'GET', '/api/v1/session');
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('acog-editor');
    const { localEnv } = await import('../support/env.ts');
    const signIn = await fetch(`${gateway.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-acog-console': '1' },
      body: JSON.stringify({ token: localEnv().kubernetes.tokens.viewer }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const viaCookie = await fetch(`${gateway.url}/api/v1/session`, { headers: { cookie: cookie.split(';')[0] } });
    expect(((await viaCookie.json()) as { username: string }).username).toBe('acog-viewer');
    // A write with only the cookie needs the console's header (CSRF).
    const write = await fetch(`${gateway.url}/api/v1/namespaces/team-a/episodes/${inA}/suspend`, {
      method: 'POST',
      headers: { cookie: cookie.split(';')[0] },
    });
    expect(write.status).toBe(403);
    expect(((await write.json()) as ErrorAnswer).error.message).toMatch(/X-ACOG-Console/);
    const badSignIn = await call<ErrorAnswer>(gateway, null, 'POST', '/api/v1/session', { token: 'nope' });
    expect(badSignIn.status).toBe(401);
  });
});

describe('reads', () => {
  it('lists to each user what it may list', async () => {
    const seen = async (user: 'admin' | 'editor' | 'viewer') =>
      (await call<Page>(gateway, user, 'GET', `/api/v1/episodes?q=${prefix}&limit=500`)).body.items
        .map((item) => `${item.namespace}/${item.name}`)
        .sort();
    expect(await seen('admin')).toEqual(expect.arrayContaining([`team-a/${inA}`, `team-b/${inB}`]));
    expect(await seen('viewer')).toEqual(expect.arrayContaining([`team-a/${inA}`, `team-b/${inB}`]));
    const editor = await seen('editor');
    expect(editor).toContain(`team-a/${inA}`);
    expect(editor.filter((key) => key.startsWith('team-b/'))).toEqual([]);
  });

  it('filters, sorts and pages', async () => {
    const first = await call<Page>(gateway, 'admin', 'GET', `/api/v1/episodes?namespace=team-a&q=paging topic&sort=name&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(3);
    expect(first.body.items.map((item) => item.name)).toEqual([`${prefix}-p0`, `${prefix}-p1`]);
    const second = await call<Page>(
      gateway,
      'admin',
      'GET',
      `/api/v1/episodes?namespace=team-a&q=paging topic&sort=name&limit=2&continue=${first.body.continue}`,
    );
    expect(second.body.items.map((item) => item.name)).toEqual([`${prefix}-p2`]);
    expect(second.body.continue).toBeUndefined();
    const descending = await call<Page>(gateway, 'admin', 'GET', `/api/v1/episodes?namespace=team-a&q=paging topic&sort=-name`);
    expect(descending.body.items[0].name).toBe(`${prefix}-p2`);
    const byChannel = await call<Page>(gateway, 'admin', 'GET', `/api/v1/episodes?channel=${channel}&phase=Pending`);
    expect(byChannel.body.items.every((item) => item.phase === 'Pending')).toBe(true);
    expect(byChannel.body.total).toBe(5);
  });

  it('names the bad query field', async () => {
    const bad = await call<ErrorAnswer>(gateway, 'admin', 'GET', '/api/v1/episodes?limit=0&sort=size');
    expect(bad.status).toBe(400);
    const fields = bad.body.error.fields!.map((field) => field.field).sort();
    expect(fields).toEqual(['limit', 'sort']);
    const phase = await call<ErrorAnswer>(gateway, 'admin', 'GET', '/api/v1/episodes?phase=Done');
    expect(phase.status).toBe(400);
    expect(phase.body.error.fields![0].field).toBe('phase');
    const token = await call<ErrorAnswer>(gateway, 'admin', 'GET', '/api/v1/episodes?continue=xyz');
    expect(token.status).toBe(400);
    expect(token.body.error.message).toMatch(/^continue:/);
  });

  it('refuses the editor another namespace, naming the missing permission', async () => {
    const denied = await call<ErrorAnswer>(gateway, 'editor', 'GET', `/api/v1/namespaces/team-b/episodes/${inB}`);
    expect(denied.status).toBe(403);
    expect(denied.body.error.missing).toMatchObject({
      verb: 'get',
      group: 'acog.dev',
      resource: 'episodes',
      namespace: 'team-b',
      name: inB,
    });
    expect(denied.body.error.message).toContain('may not get episodes.acog.dev');
    const list = await call<ErrorAnswer>(gateway, 'editor', 'GET', '/api/v1/episodes?namespace=team-b');
    expect(list.status).toBe(403);
    expect(list.body.error.missing).toMatchObject({ verb: 'list', resource: 'episodes', namespace: 'team-b' });
  });

  it('serves an episode with its stages, gates and channel, and a channel with its episodes', async () => {
    const detail = await call<{
      summary: { name: string };
      stages: { name: string; gate: boolean; dependsOn: string[] }[];
      channel: { name: string };
    }>(gateway, 'viewer', 'GET', `/api/v1/namespaces/team-a/episodes/${inA}`);
    expect(detail.status).toBe(200);
    expect(detail.body.summary.name).toBe(inA);
    expect(detail.body.stages.map((stage) => stage.name)).toEqual([
      'plan',
      'script',
      'refine',
      'metadata',
      'voice',
      'avatar',
      'broll',
      'assemble',
      'upload',
    ]);
    expect(detail.body.stages.find((stage) => stage.name === 'voice')!.gate).toBe(true);
    expect(detail.body.stages.find((stage) => stage.name === 'assemble')!.dependsOn).toEqual(['metadata', 'avatar', 'broll']);
    expect(detail.body.channel.name).toBe(channel);
    const ch = await call<{ summary: { persona: string }; recentEpisodes: { name: string }[]; schedule: unknown }>(
      gateway,
      'editor',
      'GET',
      `/api/v1/namespaces/team-a/channels/${channel}`,
    );
    expect(ch.status).toBe(200);
    expect(ch.body.recentEpisodes.map((episode) => episode.name)).toContain(inA);
    expect(ch.body.schedule, 'a Channel without spec.schedule has no runs to show').toBeNull();
    const missing = await call<ErrorAnswer>(gateway, 'admin', 'GET', `/api/v1/namespaces/team-a/episodes/${prefix}-nothing`);
    expect(missing.status).toBe(404);
  });

  it('says what each user may do, for the console to disable the rest', async () => {
    const perms = async (user: 'admin' | 'editor' | 'viewer', namespace: string) =>
      (
        await call<Record<string, { allowed: boolean; reason?: string }>>(
          gateway,
          user,
          'GET',
          `/api/v1/permissions?namespace=${namespace}&episode=${inA}`,
        )
      ).body;
    expect((await perms('editor', 'team-a')).createEpisode.allowed).toBe(true);
    expect((await perms('editor', 'team-b')).createEpisode).toEqual({
      allowed: false,
      reason: 'you may not create episodes in namespace team-b',
    });
    expect((await perms('viewer', 'team-a')).patchEpisode.allowed).toBe(false);
    expect((await perms('admin', 'team-b')).patchEpisode.allowed).toBe(true);
  });
});

describe('writes', () => {
  it('creates an episode for the editor in team-a and refuses it in team-b and to the viewer', async () => {
    const name = `${prefix}-new`;
    const body = { metadata: { name }, spec: { channelRef: { name: channel }, topic: 'Created through the gateway' } };
    const created = await call<{ episode: { name: string } }>(gateway, 'editor', 'POST', '/api/v1/namespaces/team-a/episodes', body);
    expect(created.status).toBe(201);
    expect((await getEpisode('team-a', name)).spec.topic).toBe('Created through the gateway');
    const again = await call<ErrorAnswer>(gateway, 'editor', 'POST', '/api/v1/namespaces/team-a/episodes', body);
    expect(again.status).toBe(409);
    const elsewhere = await call<ErrorAnswer>(gateway, 'editor', 'POST', '/api/v1/namespaces/team-b/episodes', body);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.missing).toMatchObject({ verb: 'create', resource: 'episodes', namespace: 'team-b' });
    const viewer = await call<ErrorAnswer>(gateway, 'viewer', 'POST', '/api/v1/namespaces/team-a/episodes', {
      ...body,
      metadata: { name: `${name}-v` },
    });
    expect(viewer.status).toBe(403);
    expect(viewer.body.error.missing).toMatchObject({ verb: 'create', namespace: 'team-a' });
  });

  it('validates with the generated validators, naming every bad field', async () => {
    const body = { metadata: { name: 'Bad_Name' }, spec: { channelRef: { name: channel }, topic: '', publish: { privacy: 'secret' } } };
    const check = await call<{ valid: boolean; fields: { field: string }[] }>(
      gateway,
      'viewer',
      'POST',
      '/api/v1/namespaces/team-a/episodes?dryRun=client',
      body,
    );
    expect(check.status).toBe(200);
    expect(check.body.valid).toBe(false);
    const fields = check.body.fields.map((field) => field.field);
    expect(fields).toEqual(expect.arrayContaining(['metadata.name', 'spec.topic', 'spec.publish.privacy']));
    const refused = await call<ErrorAnswer>(gateway, 'editor', 'POST', '/api/v1/namespaces/team-a/episodes', body);
    expect(refused.status).toBe(422);
    expect(refused.body.error.fields!.map((field) => field.field)).toEqual(expect.arrayContaining(['spec.topic', 'spec.publish.privacy']));
    const good = await call<{ valid: boolean }>(gateway, 'viewer', 'POST', '/api/v1/namespaces/team-a/episodes?dryRun=client', {
      metadata: { name: 'fine' },
      spec: { channelRef: { name: channel }, topic: 'Fine' },
    });
    expect(good.body.valid).toBe(true);
  });

  it('suspends, resumes, approves ahead, retries and cancels with the plugin annotations and fields', async () => {
    const path = `/api/v1/namespaces/team-a/episodes/${inA}`;
    expect((await call(gateway, 'viewer', 'POST', `${path}/suspend`)).status).toBe(403);
    const suspended = await call<{ message: string }>(gateway, 'editor', 'POST', `${path}/suspend`);
    expect(suspended.status).toBe(200);
    expect((await getEpisode('team-a', inA)).spec.suspend).toBe(true);
    await call(gateway, 'editor', 'POST', `${path}/resume`);
    expect((await getEpisode('team-a', inA)).spec.suspend).toBe(false);

    const approve = await call<{ message: string }>(gateway, 'editor', 'POST', `${path}/approve`, { stage: 'voice' });
    expect(approve.status).toBe(200);
    expect(approve.body.message).toBe('approved (voice)');
    expect((await getEpisode('team-a', inA)).metadata.annotations?.[`${APPROVAL_ANNOTATION_PREFIX}voice`]).toMatch(/^\d{4}-/);
    const noGate = await call<ErrorAnswer>(gateway, 'editor', 'POST', `${path}/approve`, { stage: 'upload' });
    expect(noGate.status).toBe(409);
    const notAStage = await call<ErrorAnswer>(gateway, 'editor', 'POST', `${path}/approve`, { stage: 'render' });
    expect(notAStage.status).toBe(400);
    expect(notAStage.body.error.message).toMatch(/^stage:/);

    const retry = await call<{ message: string }>(gateway, 'editor', 'POST', `${path}/retry`, { stage: 'voice' });
    expect(retry.status).toBe(200);
    const annotations = (await getEpisode('team-a', inA)).metadata.annotations ?? {};
    expect(annotations[RETRY_REQUESTED_ANNOTATION]).toMatch(/^\d{4}-/);
    expect(annotations[RETRY_STAGE_ANNOTATION]).toBe('voice');
    const retryPending = await call<ErrorAnswer>(gateway, 'editor', 'POST', `${path}/retry`);
    expect(retryPending.status).toBe(409);
    expect(retryPending.body.error.message).toMatch(/nothing to retry/);

    const cancelB = await call<ErrorAnswer>(gateway, 'editor', 'POST', `/api/v1/namespaces/team-b/episodes/${inB}/cancel`);
    expect(cancelB.status).toBe(403);
    expect(cancelB.body.error.missing).toMatchObject({ verb: 'patch', resource: 'episodes', namespace: 'team-b', name: inB });
    const cancelled = await call(gateway, 'admin', 'POST', `/api/v1/namespaces/team-b/episodes/${inB}/cancel`);
    expect(cancelled.status).toBe(200);
    expect((await getEpisode('team-b', inB)).spec.cancel).toBe(true);
    const twice = await call<ErrorAnswer>(gateway, 'admin', 'POST', `/api/v1/namespaces/team-b/episodes/${inB}/cancel`);
    expect(twice.status).toBe(409);
  });
});

describe('operations', () => {
  it('serves health, readiness, metrics and an OpenAPI document of its routes', async () => {
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/acog_console_http_requests_total\{route="\/api\/v1\/episodes",method="GET",code="200"\} \d+/);
    expect(metrics).toMatch(/acog_console_reviews_total\{kind="SubjectAccessReview",outcome="denied"\} \d+/);
    const doc = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/episodes',
        '/api/v1/namespaces/{namespace}/episodes/{name}',
        '/api/v1/namespaces/{namespace}/episodes/{name}/approve',
        '/api/v1/stream',
        '/api/v1/namespaces/{namespace}/episodes/{name}/artifacts/{artifact}',
        '/api/v1/namespaces/{namespace}/episodes/{name}/stages/{stage}/logs',
        '/webhooks/heygen',
      ]),
    );
  });
});
