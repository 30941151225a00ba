// What the pulse tests share: a gateway that takes pulse deliveries (its sources' secrets as files,
// the way the chart mounts them), deliveries signed as a source signs them, and events.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PULSE_SIGNATURE_HEADER, PULSE_TIMESTAMP_HEADER, signPulseBody, type PulseEvent } from '@acog/api';
import type { Gateway } from '@acog/console';
import { startTestGateway } from '../console/support.ts';

/** A directory with one file per source holding its secret, as the chart mounts console.pulse.sources. */
export async function pulseSecretsDir(secrets: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'acog-pulse-secrets-'));
  for (const [source, secret] of Object.entries(secrets)) await writeFile(join(dir, source), `${secret}\n`);
  return dir;
}

export async function startPulseGateway(databaseUrl: string, secrets: Record<string, string>): Promise<Gateway> {
  return startTestGateway({ databaseUrl, pulseSecretsDir: await pulseSecretsDir(secrets) });
}

export interface Delivery {
  status: number;
  body: Record<string, unknown> & {
    error?: { status: number; reason: string; message: string; fields?: { field: string; message: string }[] };
  };
}

/** POSTs `body` (text as given, else its JSON) to /webhooks/pulse, signed with `secret` at `timestamp` (default now). */
export async function deliver(
  gatewayUrl: string,
  secret: string | undefined,
  body: unknown,
  options: { timestamp?: string | number; signature?: string; headers?: Record<string, string> } = {},
): Promise<Delivery> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = { 'content-type': 'application/json', [PULSE_TIMESTAMP_HEADER]: timestamp, ...options.headers };
  const signature = options.signature ?? (secret === undefined ? undefined : signPulseBody(secret, timestamp, text));
  if (signature !== undefined) headers[PULSE_SIGNATURE_HEADER] = signature;
  const response = await fetch(`${gatewayUrl}/webhooks/pulse`, { method: 'POST', headers, body: text });
  const answer = await response.text();
  let parsed: Delivery['body'];
  try {
    parsed = JSON.parse(answer) as Delivery['body'];
  } catch {
    parsed = { text: answer };
  }
  return { status: response.status, body: parsed };
}

export function pulseEvent(id: string, extra: Partial<PulseEvent> = {}): PulseEvent {
  return {
    source: 'trends',
    id,
    title: `Trending story ${id}`,
    url: `https://news.example.com/${id}`,
    score: 0.8,
    keywords: [],
    publishedAt: '2026-12-07T08:00:00Z',
    ...extra,
  };
}
