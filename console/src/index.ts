// @acog/console: the gateway, started by console/src/main.ts (the image) and by the tests.
export { DEFAULT_STATIC_DIR, startGateway, type Gateway, type GatewayOptions } from './gateway.ts';
export type { ArchivedEpisodeDetail, ArchivedEpisodeSummary, HistoryPage, SpendReport } from './http/schemas.ts';
