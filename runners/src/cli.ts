#!/usr/bin/env node
// acog-runner <stage> --input <uri>
// Runs one stage attempt as DESIGN.md's "How a stage runs" describes. The operator starts it in a
// Job; `kubectl acog render` runs the same stages in-process. Exit codes: 0 done, 1 the stage
// failed (the reason is the last line on stderr and the Job's termination message), 2 bad usage,
// 3 (PERMANENT_FAILURE_EXIT_CODE) the stage failed on a provider's refusal another attempt would
// meet again (credential, quota, the request itself): the operator does not retry it.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isStageName, natsAuth, natsInboxPrefix, PERMANENT_FAILURE_EXIT_CODE } from '@acog/api';
import { readStageInput } from './contract/read-input.ts';
import { oneLine, runStage } from './contract/run-stage.ts';
import { NatsEventPublisher } from './events/nats.ts';
import { isPermanentRefusal } from './providers/http.ts';
import type { EventPublisher } from './events/types.ts';
import { STAGE_IMPLEMENTATIONS } from './stages/stages.ts';
import { LocalArtifactStore } from '@acog/store/local';
import { S3ArtifactStore, s3OptionsFromEnv } from '@acog/store/s3';
import type { ArtifactStore } from '@acog/store';

const USAGE = `usage: acog-runner <stage> --input <s3://…/input.json | file:///…/input.json>

stages: plan, script, refine, metadata, voice, avatar, broll, assemble, upload
environment:
  ACOG_STAGE_INPUT        the input URI, when --input is not given
  ACOG_S3_ENDPOINT        S3 endpoint (unset: AWS S3); AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
  ACOG_ARTIFACT_ROOT      root folder of file:// artifacts (local runs)
  ACOG_NATS_URL           NATS server for completion events (unset: no events; the operator watches the Job)
  ACOG_SCRATCH            scratch folder (default: the system's temporary folder)
  ACOG_HEYGEN_CALLBACK_URL  the console's HeyGen webhook: registered as the key's endpoint and sent as callback_url (a delivery wakes the wait)
  provider keys           OPENAI_API_KEY, ELEVENLABS_API_KEY, HEYGEN_API_KEY, RUNWAY_API_KEY, PEXELS_API_KEY,
                          YOUTUBE_CLIENT_ID, YOUTUBE_CLIENT_SECRET, YOUTUBE_REFRESH_TOKEN`;

function fail(code: number, message: string): never {
  console.error(`acog-runner: ${message}`);
  const terminationLog = process.env.ACOG_TERMINATION_LOG ?? '/dev/termination-log';
  try {
    writeFileSync(terminationLog, message);
  } catch {
    // Outside a Pod there is no termination log; stderr carries the reason.
  }
  process.exit(code);
}

function storeFor(inputUri: string): ArtifactStore {
  if (inputUri.startsWith('s3://')) return new S3ArtifactStore(s3OptionsFromEnv());
  if (inputUri.startsWith('file://')) {
    const root = process.env.ACOG_ARTIFACT_ROOT;
    if (!root) fail(2, 'a file:// input needs ACOG_ARTIFACT_ROOT, the folder the artifacts live under');
    return new LocalArtifactStore(root);
  }
  fail(2, `--input must be an s3:// or file:// URI, not ${JSON.stringify(inputUri)}`);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { input: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    fail(2, `${(error as Error).message}\n${USAGE}`);
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return;
  }
  const [stage, ...extra] = parsed.positionals;
  if (!stage || extra.length) fail(2, `name exactly one stage\n${USAGE}`);
  if (!isStageName(stage)) fail(2, `unknown stage ${JSON.stringify(stage)}\n${USAGE}`);
  const inputUri = parsed.values.input ?? process.env.ACOG_STAGE_INPUT;
  if (!inputUri) fail(2, `--input is required\n${USAGE}`);

  const store = storeFor(inputUri);
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => controller.abort(new Error(`stopped by ${signal}`)));

  let events: EventPublisher | undefined;
  try {
    const input = await readStageInput(store, inputUri, stage, {
      signal: controller.signal,
      log: (line) => console.error(`acog-runner: ${line}`),
    });
    if (process.env.ACOG_NATS_URL) {
      const options = { auth: natsAuth(process.env), inboxPrefix: natsInboxPrefix(input.episode.namespace) };
      events = await NatsEventPublisher.connect(process.env.ACOG_NATS_URL, options).catch((error: Error) => {
        console.error(`acog-runner: NATS unreachable (${error.message}); the operator will see the result through the Job`);
        return undefined;
      });
    }
    const started = Date.now();
    console.error(`acog-runner: ${stage} attempt ${input.attempt} of ${input.episode.namespace}/${input.episode.name}`);
    const result = await runStage(input, STAGE_IMPLEMENTATIONS[stage], {
      store,
      events,
      scratch: process.env.ACOG_SCRATCH ?? join(tmpdir(), 'acog-runner'),
      signal: controller.signal,
      log: (line) => console.error(`[${stage}] ${line}`),
    });
    console.error(`acog-runner: ${stage} succeeded in ${((Date.now() - started) / 1000).toFixed(1)}s (${result.provider})`);
  } catch (error) {
    await events?.close().catch(() => undefined);
    fail(isPermanentRefusal(error) ? PERMANENT_FAILURE_EXIT_CODE : 1, `${stage} failed: ${oneLine(error)}`);
  }
  await events?.close().catch(() => undefined);
}

await main();
