// The Episode actions: approve, retry, suspend, resume, cancel. What each does is @acog/api's
// decision, as for `kubectl acog`: its merge patch is sent with the user's token, "nothing to do"
// is a 200 that says so, and a refusal is a 409 with the decision's message.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { decideAction, type EpisodeAction } from '@acog/api';
import { can } from '../../auth/authorizer.ts';
import { episodeSummary } from '../../cluster/views.ts';
import { API, episodeOr404, routeGroup, type Env, type GatewayDeps } from '../context.ts';
import { badRequest, conflict } from '../errors.ts';
import { ActionResultSchema, ObjectParams, StageBodySchema, errorResponses, jsonContent } from '../schemas.ts';

const ACTIONS: { action: EpisodeAction; summary: string; stage?: true }[] = [
  { action: 'approve', summary: 'Pass an approval gate (annotation approve.acog.dev/<stage>)', stage: true },
  { action: 'retry', summary: 'Retry the failed stages, or a stage and everything downstream', stage: true },
  { action: 'suspend', summary: 'Pause (spec.suspend: true)' },
  { action: 'resume', summary: 'Continue (spec.suspend: false)' },
  { action: 'cancel', summary: 'Stop for good (spec.cancel: true)' },
];

/** The optional {"stage": ...} body: none, or a stage of the pipeline. */
async function stageOf(c: Context<Env>): Promise<string | undefined> {
  const text = await c.req.text();
  if (!text.trim()) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('body: not JSON', [{ field: '(body)', message: 'not JSON' }]);
  }
  const parsed = StageBodySchema.safeParse(body);
  if (!parsed.success)
    throw badRequest(`stage: must be one of the stages`, [{ field: 'stage', message: parsed.error.issues[0]?.message ?? 'invalid' }]);
  return parsed.data.stage;
}

export function actionRoutes({ cache, authorizer, writer }: GatewayDeps) {
  const routes = routeGroup();
  for (const { action, summary, stage } of ACTIONS) {
    const route = createRoute({
      method: 'post',
      path: `${API}/namespaces/{namespace}/episodes/{name}/${action}`,
      summary,
      security: [{ bearer: [] }],
      request: {
        params: ObjectParams,
        ...(stage ? { body: { content: { 'application/json': { schema: StageBodySchema } }, required: false } } : {}),
      },
      responses: {
        200: jsonContent(ActionResultSchema, 'Done, or nothing to do (the message says which)'),
        404: jsonContent(z.any(), 'No such episode'),
        409: jsonContent(z.any(), 'The episode is not in a state for this'),
        ...errorResponses,
      },
    });
    routes.openapi(route, async (c) => {
      const { namespace, name } = c.req.valid('param');
      const requested = stage ? await stageOf(c) : undefined;
      const user = c.get('user');
      await authorizer.require(user, can.patchEpisode(namespace, name));
      const episode = episodeOr404(cache, namespace, name);
      const channel = cache.channel(namespace, episode.spec.channelRef.name);
      const decision = decideAction(action, episode, channel, { stage: requested }, new Date());
      if (decision.outcome === 'refused') throw conflict(decision.message);
      let updated = episode;
      if (decision.outcome === 'patch') {
        updated = await writer.mergePatch(user, namespace, name, decision.patch);
        cache.upsertEpisode(updated);
      }
      return c.json({ message: decision.message, episode: episodeSummary(updated) }, 200);
    });
  }
  return routes;
}
