// The bundled NATS's users, as the chart renders them, on a real nats-server: each tenant's runners
// publish only their namespace's stage events and read only their namespace's webhook events; the
// operator only works its stream and consumer; the gateway only publishes webhook events.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureStream,
  EVENTS_STREAM,
  EVENTS_STREAM_DEFINITION,
  natsAuth,
  natsInboxPrefix,
  stageEventSubject,
  WEBHOOKS_STREAM_DEFINITION,
} from '@acog/api';
import { NatsEventPublisher } from '@acog/runners';
import { freePort, httpOk, startProcess, waitUntil, type ManagedProcess } from '@acog/hack/local-env/process';
import { localEnv } from '../support/env.ts';
import { chartTools, find, render, TOOLS_BUILD_TIMEOUT, type Manifest } from '../helm/support.ts';

const RELEASE = 'acog';
const NAMESPACE = 'acog-system';
const TENANTS = ['team-a', 'team-b'];

interface User {
  user: string;
  pass: string;
}

let server: ManagedProcess;
let url: string;
let dir: string;
const users: Record<string, User> = {};
const open: NatsConnection[] = [];

const secretData = (secret: Manifest) => (secret.stringData ?? {}) as Record<string, string>;

async function as(who: string, options: { inboxPrefix?: string } = {}): Promise<NatsConnection> {
  const connection = await connect({ servers: url, ...users[who], ...options, maxReconnectAttempts: 0 });
  open.push(connection);
  return connection;
}

function report(what: string, result: string): string {
  console.log(`${what} → ${result}`);
  return result;
}

/** Runs an attempt and says how it ended: "allowed", or the server's refusal. */
async function outcome(what: string, attempt: () => Promise<unknown>): Promise<string> {
  let result: string;
  try {
    await attempt();
    result = 'allowed';
  } catch (error) {
    const message = (error as Error).message;
    result = /permission/i.test(message)
      ? 'refused: permissions violation'
      : /authorization/i.test(message)
        ? 'refused: authorization violation'
        : `failed: ${message}`;
  }
  console.log(`${what} → ${result}`);
  return result;
}

/** A subscription's verdict arrives asynchronously, as the server's error on the connection. */
async function subscribeOutcome(what: string, connection: NatsConnection, subject: string): Promise<string> {
  const errors = (async () => {
    for await (const status of connection.status())
      if (status.type === 'error') return String((status as { error?: unknown }).error ?? status.type);
    return '';
  })();
  const subscription = connection.subscribe(subject);
  const ended = subscription.closed.then(() => 'closed');
  const verdict = await Promise.race([errors, ended, new Promise<string>((resolve) => setTimeout(() => resolve('allowed'), 1500))]);
  const result = /permission/i.test(verdict) || verdict === 'closed' ? 'refused: permissions violation' : verdict;
  console.log(`${what} → ${result}`);
  return result;
}

beforeAll(async () => {
  await chartTools();
  const manifests = await render(RELEASE, NAMESPACE, { global: { episodeNamespaces: TENANTS } });
  const config = (find(manifests, 'ConfigMap', `${RELEASE}-nats`, NAMESPACE).data as Record<string, string>)['nats.conf'];
  const auth = secretData(find(manifests, 'Secret', `${RELEASE}-nats-auth`, NAMESPACE))['auth.conf'];
  for (const who of ['operator', 'console']) {
    const data = secretData(find(manifests, 'Secret', `${RELEASE}-nats-${who}`, NAMESPACE));
    users[who] = { user: data.ACOG_NATS_USER, pass: data.ACOG_NATS_PASSWORD };
  }
  for (const tenant of TENANTS) {
    const data = secretData(find(manifests, 'Secret', `${RELEASE}-nats-runner`, tenant));
    users[tenant] = { user: data.ACOG_NATS_USER, pass: data.ACOG_NATS_PASSWORD };
  }
  dir = await mkdtemp(join(tmpdir(), 'acog-nats-auth-'));
  await mkdir(join(dir, 'config'));
  await mkdir(join(dir, 'auth'));
  // The chart's own files; only the addresses and the store move to this machine.
  await writeFile(join(dir, 'config', 'nats.conf'), config.replace('store_dir: /data', `store_dir: ${join(dir, 'data')}`));
  await writeFile(join(dir, 'auth', 'auth.conf'), auth);
  const [port, monitor] = [await freePort(), await freePort()];
  server = startProcess(
    'nats-server (chart config)',
    localEnv().binaries.natsServer,
    ['--config', join(dir, 'config', 'nats.conf'), '-a', '127.0.0.1', '-p', String(port), '-m', String(monitor)],
    join(dir, 'nats.log'),
    { env: { ...process.env, POD_NAME: 'acog-nats-0' } },
  );
  await waitUntil('nats-server', () => httpOk(`http://127.0.0.1:${monitor}/healthz?js-enabled-only=true`), {
    process: server,
    timeoutMs: 30_000,
  });
  url = `nats://127.0.0.1:${port}`;
  const operator = await as('operator');
  await ensureStream(await jetstreamManager(operator), EVENTS_STREAM_DEFINITION);
  const gateway = await as('console');
  await ensureStream(await jetstreamManager(gateway), WEBHOOKS_STREAM_DEFINITION);
}, TOOLS_BUILD_TIMEOUT);

afterAll(async () => {
  await Promise.all(open.map((connection) => connection.close().catch(() => undefined)));
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('NATS users of the chart', () => {
  it('refuses a connection without a user', async () => {
    expect(await outcome('anonymous connect', () => connect({ servers: url, maxReconnectAttempts: 0 }).then((c) => c.close()))).toBe(
      'refused: authorization violation',
    );
  });

  it("lets a tenant's runner publish its own stage events, and nobody else's", async () => {
    // The runners' own publisher, connected as the runner CLI connects it (natsAuth, natsInboxPrefix).
    const publisher = await NatsEventPublisher.connect(url, {
      auth: natsAuth({ ACOG_NATS_USER: users['team-a'].user, ACOG_NATS_PASSWORD: users['team-a'].pass }),
      inboxPrefix: natsInboxPrefix('team-a'),
    });
    const event = {
      namespace: 'team-a',
      episode: 'ep',
      uid: 'a',
      stage: 'plan',
      attempt: 1,
      inputHash: 'sha256:x',
      outcome: 'Succeeded',
      at: new Date().toISOString(),
    } as const;
    expect(await outcome('team-a runner publishes acog.events.team-a.…', () => publisher.publish(event))).toBe('allowed');
    await publisher.close();
    const runnerB = await as('team-b', { inboxPrefix: '_INBOX_team-b' });
    const forged = stageEventSubject('team-a', 'ep', 'voice');
    expect(
      await outcome('team-b runner publishes a Failed event for team-a', () =>
        jetstream(runnerB).publish(forged, '{"outcome":"Failed"}', { timeout: 2000 }),
      ),
    ).not.toBe('allowed');
    const stored = await (await jetstreamManager(await as('operator'))).streams.info(EVENTS_STREAM);
    expect(stored.state.messages).toBe(1);
  });

  it("keeps every tenant out of the other's events, inboxes and the streams themselves", async () => {
    const runnerB = await as('team-b', { inboxPrefix: '_INBOX_team-b' });
    expect(await subscribeOutcome('team-b runner subscribes acog.events.>', runnerB, 'acog.events.>')).toBe(
      'refused: permissions violation',
    );
    const runnerB2 = await as('team-b', { inboxPrefix: '_INBOX_team-b' });
    expect(await subscribeOutcome('team-b runner subscribes _INBOX.> (others’ replies)', runnerB2, '_INBOX.>')).toBe(
      'refused: permissions violation',
    );
    const runnerB3 = await as('team-b', { inboxPrefix: '_INBOX_team-b' });
    expect(
      await outcome('team-b runner deletes the ACOG_EVENTS stream', () =>
        runnerB3.request(`$JS.API.STREAM.DELETE.${EVENTS_STREAM}`, '', { timeout: 2000 }),
      ),
    ).not.toBe('allowed');
    expect(
      await outcome('team-b runner forges a webhook event', () =>
        runnerB3.request('acog.webhooks.team-a.heygen.v1', '{}', { timeout: 2000 }),
      ),
    ).not.toBe('allowed');
  });

  it("lets a runner wait on its own namespace's webhook events only", async () => {
    const runnerA = await as('team-a', { inboxPrefix: '_INBOX_team-a' });
    const consumer = (filter: string) => ({
      name: `w${Math.random().toString(36).slice(2, 10)}`,
      filter_subject: filter,
      deliver_policy: DeliverPolicy.LastPerSubject,
      ack_policy: AckPolicy.None,
      inactive_threshold: 60_000_000_000,
    });
    const manager = await jetstreamManager(runnerA, { checkAPI: false });
    expect(
      await outcome('team-a runner waits on acog.webhooks.team-a.heygen.v1', () =>
        manager.consumers.add('ACOG_WEBHOOKS', consumer('acog.webhooks.team-a.heygen.v1')),
      ),
    ).toBe('allowed');
    const runnerB = await as('team-b', { inboxPrefix: '_INBOX_team-b' });
    const managerB = await jetstreamManager(runnerB, { checkAPI: false });
    expect(
      await outcome("team-b runner reads team-a's webhook events", () =>
        managerB.consumers.add('ACOG_WEBHOOKS', consumer('acog.webhooks.team-a.>')),
      ),
    ).not.toBe('allowed');
  });

  it("lets the operator consume every tenant's events with its durable consumer, and acknowledge them", async () => {
    const operator = await as('operator');
    const manager = await jetstreamManager(operator);
    // The consumer the operator makes (operator/src/completions/nats.ts).
    await manager.consumers.add(EVENTS_STREAM, {
      durable_name: 'acog-operator',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: 'acog.events.>',
      ack_wait: 30_000_000_000,
    });
    const runnerB = await as('team-b', { inboxPrefix: '_INBOX_team-b' });
    await jetstream(runnerB).publish(stageEventSubject('team-b', 'ep', 'plan'), '{}', { msgID: 'b/plan/1' });
    const consumer = await jetstream(operator).consumers.get(EVENTS_STREAM, 'acog-operator');
    const subjects: string[] = [];
    for (let i = 0; i < 2; i++) {
      const message = await consumer.next({ expires: 2000 });
      if (!message) break;
      subjects.push(message.subject);
      expect(await message.ackAck()).toBe(true);
    }
    expect(report("operator consumes and acknowledges both tenants' events", subjects.sort().join(', '))).toBe(
      'acog.events.team-a.ep.plan, acog.events.team-b.ep.plan',
    );
    expect((await manager.consumers.info(EVENTS_STREAM, 'acog-operator')).num_ack_pending).toBe(0);
  });

  it('keeps the gateway to webhook events and the operator to its stream', async () => {
    const gateway = await as('console');
    expect(
      await outcome('gateway publishes a stage event', () =>
        jetstream(gateway).publish(stageEventSubject('team-a', 'ep', 'plan'), '{}', { timeout: 2000 }),
      ),
    ).not.toBe('allowed');
    const operator = await as('operator');
    expect(
      await outcome('operator publishes a webhook event', () =>
        jetstream(operator).publish('acog.webhooks.team-a.heygen.v1', '{}', { timeout: 2000 }),
      ),
    ).not.toBe('allowed');
  });
});
