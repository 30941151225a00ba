// Health, readiness and metrics: outside /api, for the kubelet and Prometheus.
import type { GatewayDeps } from '../context.ts';
import { routeGroup } from '../context.ts';

export function metaRoutes({ cache, metrics, ready }: GatewayDeps) {
  const routes = routeGroup();
  routes.get('/healthz', (c) => c.text('ok'));
  routes.get('/readyz', (c) => {
    const synced = cache.hasSynced();
    const extra = ready ? ready() : true;
    return synced && extra ? c.text('ok') : c.text(synced ? 'not ready: NATS is not connected' : 'not ready: caches are syncing', 503);
  });
  routes.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  return routes;
}
