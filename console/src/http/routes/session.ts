// Who the user is and what they may do: sign-in with a pasted token (checked with a TokenReview,
// then kept in an HttpOnly cookie), sign-out, the signed-in user, their permissions in a
// namespace, and the namespaces they may list episodes in.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { SESSION_COOKIE } from '../../auth/authenticator.ts';
import { can } from '../../auth/authorizer.ts';
import { API, routeGroup, type GatewayDeps } from '../context.ts';
import { originOf } from '../network.ts';
import {
  errorResponses,
  jsonContent,
  NameParam,
  NamespaceParam,
  NamespacesSchema,
  PermissionsSchema,
  UserSchema,
  type Permissions,
} from '../schemas.ts';

export function sessionRoutes({ authenticator, authorizer, cache, secureCookies, trustedProxies }: GatewayDeps) {
  const routes = routeGroup();
  /** The session cookie's attributes: Secure when forced, or when the browser reached us over TLS. */
  const attributes = (c: Context) => {
    const secure = secureCookies || originOf(c, trustedProxies).tls;
    return `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  };

  routes.openapi(
    createRoute({
      method: 'post',
      path: `${API}/session`,
      summary: 'Sign in with a Kubernetes token; sets the session cookie (Secure over TLS)',
      request: {
        body: {
          content: { 'application/json': { schema: z.object({ token: z.string().min(1, 'token: required').max(16_384) }) } },
          required: true,
        },
      },
      responses: { 200: jsonContent(UserSchema, 'The signed-in user'), ...errorResponses },
    }),
    async (c) => {
      const { token } = c.req.valid('json');
      const user = await authenticator.review(token.trim(), originOf(c, trustedProxies).client);
      c.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(token.trim())}; ${attributes(c)}; Max-Age=43200`);
      return c.json({ username: user.username, groups: user.groups, via: user.via }, 200);
    },
  );

  routes.delete(`${API}/session`, (c) => {
    c.header('set-cookie', `${SESSION_COOKIE}=; ${attributes(c)}; Max-Age=0`);
    return c.body(null, 204);
  });

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/session`,
      summary: 'The signed-in user',
      security: [{ bearer: [] }],
      responses: { 200: jsonContent(UserSchema, 'The user'), 401: errorResponses[401] },
    }),
    (c) => {
      const user = c.get('user');
      return c.json({ username: user.username, groups: user.groups, via: user.via }, 200);
    },
  );

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/permissions`,
      summary: 'What the user may do in a namespace (for disabling what they may not)',
      security: [{ bearer: [] }],
      request: {
        query: z.object({
          namespace: NamespaceParam.openapi({ param: { name: 'namespace', in: 'query' } }),
          episode: NameParam.optional().openapi({ param: { name: 'episode', in: 'query' } }),
          channel: NameParam.optional().openapi({ param: { name: 'channel', in: 'query' } }),
        }),
      },
      responses: { 200: jsonContent(PermissionsSchema, 'Action → decision'), ...errorResponses },
    }),
    async (c) => {
      const user = c.get('user');
      const { namespace, episode, channel } = c.req.valid('query');
      const checks = {
        createEpisode: can.createEpisode(namespace),
        patchEpisode: { ...can.patchEpisode(namespace, episode ?? ''), name: episode },
        updateEpisode: { ...can.updateEpisode(namespace, episode ?? ''), name: episode },
        createChannel: can.createChannel(namespace),
        updateChannel: { ...can.updateChannel(namespace, channel ?? ''), name: channel },
        readLogs: can.podLogs(namespace),
        listEpisodes: can.listEpisodes(namespace),
      };
      const out: Permissions = {};
      await Promise.all(
        Object.entries(checks).map(async ([action, permission]) => {
          const decision = await authorizer.check(user, permission);
          out[action] = decision.allowed
            ? { allowed: true }
            : {
                allowed: false,
                reason: `you may not ${permission.verb} ${permission.resource}${permission.subresource ? `/${permission.subresource}` : ''} in namespace ${namespace}`,
              };
        }),
      );
      return c.json(out, 200);
    },
  );

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces`,
      summary: 'The namespaces with ACOG objects the user may list episodes in',
      security: [{ bearer: [] }],
      responses: { 200: jsonContent(NamespacesSchema, 'Namespaces'), ...errorResponses },
    }),
    async (c) => {
      const all = cache.namespaces();
      const allowed = await authorizer.namespacesAllowed(c.get('user'), can.listEpisodes(), all);
      const items = [...all].filter((namespace) => allowed === 'all' || allowed.has(namespace)).sort();
      return c.json({ items }, 200);
    },
  );

  return routes;
}
