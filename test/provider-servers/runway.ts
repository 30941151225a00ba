// A local stand-in for Runway's API as documented at docs.dev.runwayml.com: Authorization:
// Bearer <key> and X-Runway-Version: 2024-11-06 on every request; POST /v1/text_to_video and
// POST /v1/image_to_video (model, promptText, ratio, duration, promptImage) answer {id};
// GET /v1/tasks/{id} goes PENDING → THROTTLED → RUNNING (progress) → SUCCEEDED with output URLs, or
// FAILED with failure and failureCode; DELETE /v1/tasks/{id} cancels. Outputs are real MP4s of the
// asked orientation and duration behind expiring URLs (no key). Errors are {error: message}, with
// the body's issues for a 400, as Runway's errors page describes. As Runway is now: gen3a_turbo is
// gone from image_to_video (2026-06-10); promptText is at most 1000 characters; a promptImage data
// URI must be under 5 MB, a larger image comes as the runway:// URI of an ephemeral upload
// (POST /v1/uploads {filename, type: "ephemeral"} → {uploadUrl, fields, runwayUri}, then a
// presigned multipart form POST of the fields and the file, at most 200 MB).
import { randomBytes, randomUUID } from 'node:crypto';
import { header, multipartParts, SampleVideos, startHarness, type Harness, type IncomingRequest, type Reply } from './harness.ts';

export const RUNWAY_TEST_KEY = 'key_localrunwaytest0123456789abcdef';
export const RUNWAY_TEST_VERSION = '2024-11-06';

const TEXT_MODELS: Record<string, { ratios: string[]; durations: number[] }> = {
  'gen4.5': { ratios: ['1280:720', '720:1280'], durations: [2, 3, 4, 5, 6, 7, 8, 9, 10] },
  'veo3.1': { ratios: ['1280:720', '720:1280', '1080:1920', '1920:1080'], durations: [4, 6, 8] },
  'veo3.1_fast': { ratios: ['1280:720', '720:1280', '1080:1920', '1920:1080'], durations: [4, 6, 8] },
  veo3: { ratios: ['1280:720', '720:1280', '1080:1920', '1920:1080'], durations: [8] },
};
const IMAGE_MODELS: Record<string, { ratios: string[]; durations: number[] }> = {
  gen4_turbo: { ratios: ['1280:720', '720:1280', '1104:832', '832:1104', '960:960', '1584:672'], durations: [5, 10] },
  veo3: { ratios: ['1280:720', '720:1280'], durations: [8] },
};

export interface RunwayOutcome {
  /** Status polls answered before the outcome (3: PENDING, THROTTLED, RUNNING). */
  pendingPolls?: number;
  /** The task fails with this reason and code. */
  fail?: { failure: string; failureCode: string } | null;
}

export interface RunwayServerOptions extends RunwayOutcome {
  apiKey?: string;
}

export interface RunwayTestTask {
  id: string;
  endpoint: string;
  body: Record<string, unknown>;
  status: 'PENDING' | 'THROTTLED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  /** When each status poll arrived (ms since the epoch). */
  polls: number[];
  createdAt: string;
  outcome: Required<Pick<RunwayOutcome, 'pendingPolls'>> & RunwayOutcome;
}

export interface RunwayServer extends Harness {
  apiKey: string;
  tasks: Map<string, RunwayTestTask>;
  /** Ephemeral uploads by runway:// URI: the file's size once its form was posted. */
  uploads: Map<string, { filename: string; bytes?: number }>;
  setOutcome(outcome: RunwayOutcome): void;
  /** Makes the outputs of the tasks finished so far expire (their URLs answer 403 from now on). */
  expireOutputs(): void;
}

const errorBody = (status: number): { error: string } => ({
  error:
    {
      400: 'Bad request',
      401: 'The API key is invalid or has been revoked.',
      404: 'Not found',
      405: 'Method not allowed',
      429: 'You have exceeded the rate limit for your integration. Try again later.',
      500: 'Internal server error',
      502: 'Runway is shedding load. Try again later.',
      503: 'Runway is shedding load. Try again later.',
      504: 'Runway is overloaded and could not satisfy the request.',
    }[status] ?? 'Error',
});

const DATA_URI_LIMIT = 5 * 1024 * 1024;
const UPLOAD_LIMIT = 200 * 1024 * 1024;

function validate(endpoint: string, body: Record<string, unknown>, uploaded: (uri: string) => boolean): string[] {
  const image = endpoint === '/v1/image_to_video';
  const models = image ? IMAGE_MODELS : TEXT_MODELS;
  const model = models[String(body.model)];
  const issues: string[] = [];
  if (!model)
    issues.push(
      `model: Invalid enum value. Expected ${Object.keys(models)
        .map((name) => `'${name}'`)
        .join(' | ')}, received '${String(body.model)}'`,
    );
  if (image) {
    const promptImage = body.promptImage;
    if (typeof promptImage !== 'string' || !/^(https:\/\/|runway:\/\/|data:image\/(png|jpeg|webp);base64,)/.test(promptImage))
      issues.push('promptImage: Expected a HTTPS URL, a runway:// URI or an image data URI');
    else if (promptImage.startsWith('data:') && promptImage.length >= DATA_URI_LIMIT)
      issues.push('promptImage: Data URIs must be under 5MB. Upload larger images with the uploads API and pass the runway:// URI');
    else if (promptImage.startsWith('runway://') && !uploaded(promptImage))
      issues.push('promptImage: The runway:// URI does not refer to an uploaded file, or it has expired');
    if (body.promptText !== undefined && (typeof body.promptText !== 'string' || body.promptText.length > 1000))
      issues.push('promptText: String must contain at most 1000 character(s)');
  } else if (typeof body.promptText !== 'string' || body.promptText.length === 0 || body.promptText.length > 1000) {
    issues.push('promptText: String must contain between 1 and 1000 character(s)');
  }
  if (model && !model.ratios.includes(String(body.ratio)))
    issues.push(`ratio: Invalid enum value. Expected ${model.ratios.map((ratio) => `'${ratio}'`).join(' | ')}`);
  if (model && body.duration !== undefined && !model.durations.includes(Number(body.duration)))
    issues.push(`duration: must be one of ${model.durations.join(', ')}`);
  return issues;
}

export async function startRunwayServer(options: RunwayServerOptions = {}): Promise<RunwayServer> {
  const apiKey = options.apiKey ?? RUNWAY_TEST_KEY;
  let outcome: RunwayTestTask['outcome'] = { pendingPolls: options.pendingPolls ?? 3, fail: options.fail };
  const tasks = new Map<string, RunwayTestTask>();
  const samples = new SampleVideos();
  const expired = new Set<string>();
  const uploads = new Map<string, { filename: string; bytes?: number; key: string }>();
  let base = '';

  const taskJson = (task: RunwayTestTask) => ({
    id: task.id,
    createdAt: task.createdAt,
    status: task.status,
    ...(task.status === 'RUNNING' ? { progress: 0.5 } : {}),
    ...(task.status === 'SUCCEEDED' ? { output: [`${base}/outputs/${task.id}.mp4?_jwt=${Date.now()}`] } : {}),
    ...(task.status === 'FAILED' ? { failure: task.outcome.fail?.failure, failureCode: task.outcome.fail?.failureCode } : {}),
  });

  const handle = async (request: IncomingRequest): Promise<Reply> => {
    const { method, url } = request;
    const output = /^\/outputs\/([\w-]+)\.mp4$/.exec(url.pathname);
    if (output && method === 'GET') {
      const task = tasks.get(output[1]);
      if (expired.has(output[1]))
        return { status: 403, body: Buffer.from('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>') };
      if (!task || task.status !== 'SUCCEEDED') return { status: 404, body: Buffer.from('<Error><Code>NoSuchKey</Code></Error>') };
      const [ratioWidth, ratioHeight] = String(task.body.ratio).split(':').map(Number);
      const [width, height] = ratioHeight > ratioWidth ? [180, 320] : [320, 180];
      return {
        status: 200,
        body: await samples.get(width, height, Number(task.body.duration ?? 5)),
        headers: { 'content-type': 'video/mp4' },
      };
    }

    // The presigned form POST of an upload: no key, the policy is in the fields.
    const storage = /^\/storage\/uploads\/([\w-]+)$/.exec(url.pathname);
    if (storage && method === 'POST') {
      const entry = [...uploads.values()].find((upload) => upload.key === storage[1]);
      const form = multipartParts(header(request.headers, 'content-type'), request.body);
      if (!entry || !form?.file || form.fields.key !== entry.key || !form.fields.policy)
        return { status: 403, body: Buffer.from('<Error><Code>AccessDenied</Code><Message>Invalid according to Policy</Message></Error>') };
      if (form.file.data.length > UPLOAD_LIMIT) return { status: 400, body: Buffer.from('<Error><Code>EntityTooLarge</Code></Error>') };
      entry.bytes = form.file.data.length;
      return { status: 204 };
    }

    if (header(request.headers, 'authorization') !== `Bearer ${apiKey}`) return { status: 401, json: errorBody(401) };
    const version = header(request.headers, 'x-runway-version');
    if (version !== RUNWAY_TEST_VERSION) {
      return {
        status: 400,
        json: { error: version ? `Unsupported API version: ${version}` : 'The X-Runway-Version header is required. Use 2024-11-06.' },
      };
    }

    if (url.pathname === '/v1/uploads' && method === 'POST') {
      let body: { filename?: unknown; type?: unknown };
      try {
        body = JSON.parse(request.body.toString('utf8')) as typeof body;
      } catch {
        return { status: 400, json: { error: 'Request body must be valid JSON' } };
      }
      if (typeof body.filename !== 'string' || !body.filename || body.type !== 'ephemeral')
        return { status: 400, json: { error: "Validation of body failed: filename: Required; type: Expected 'ephemeral'" } };
      const key = randomBytes(8).toString('hex');
      const runwayUri = `runway://ephemeral/${randomUUID()}`;
      uploads.set(runwayUri, { filename: body.filename, key });
      return {
        status: 200,
        json: {
          uploadUrl: `${base}/storage/uploads/${key}`,
          fields: { key, policy: randomBytes(12).toString('base64'), 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
          runwayUri,
        },
      };
    }
    if ((url.pathname === '/v1/text_to_video' || url.pathname === '/v1/image_to_video') && method === 'POST') {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
      } catch {
        return { status: 400, json: { error: 'Request body must be valid JSON' } };
      }
      const issues = validate(url.pathname, body, (uri) => uploads.get(uri)?.bytes !== undefined);
      if (issues.length > 0) return { status: 400, json: { error: `Validation of body failed: ${issues.join('; ')}`, issues } };
      const id = randomUUID();
      tasks.set(id, {
        id,
        endpoint: url.pathname,
        body,
        status: 'PENDING',
        polls: [],
        createdAt: new Date().toISOString(),
        outcome: { ...outcome },
      });
      return { status: 200, json: { id } };
    }
    const taskPath = /^\/v1\/tasks\/([\w-]+)$/.exec(url.pathname);
    if (taskPath) {
      const task = tasks.get(taskPath[1]);
      if (!task) return { status: 404, json: { error: 'Task not found' } };
      if (method === 'DELETE') {
        task.status = 'CANCELLED';
        return { status: 204 };
      }
      if (method !== 'GET') return { status: 405, json: errorBody(405) };
      task.polls.push(Date.now());
      if (task.status !== 'SUCCEEDED' && task.status !== 'FAILED' && task.status !== 'CANCELLED') {
        const polls = task.polls.length;
        if (polls > task.outcome.pendingPolls) task.status = task.outcome.fail ? 'FAILED' : 'SUCCEEDED';
        else task.status = polls === 1 ? 'PENDING' : polls === 2 ? 'THROTTLED' : 'RUNNING';
      }
      return { status: 200, json: taskJson(task) };
    }
    return { status: 404, json: errorBody(404) };
  };

  const harness = await startHarness({ errorBody, handle });
  base = harness.url;
  return {
    ...harness,
    apiKey,
    tasks,
    uploads,
    setOutcome(next) {
      outcome = { pendingPolls: next.pendingPolls ?? outcome.pendingPolls, fail: next.fail };
    },
    expireOutputs() {
      for (const task of tasks.values()) if (task.status === 'SUCCEEDED') expired.add(task.id);
    },
  };
}
