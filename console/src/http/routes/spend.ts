// Spend: the cost ledger (PostgreSQL) per Channel per month, and per stage and provider for one
// month, with each Channel's budget. Authorized per namespace: a user who may list Episodes there.
import { createRoute, z } from '@hono/zod-openapi';
import { Ledger } from '@acog/db/ledger';
import { budgetMonth, channelTimezone } from '@acog/api';
import { can } from '../../auth/authorizer.ts';
import { monthsEnding } from '../../history/query.ts';
import { API, routeGroup, type GatewayDeps } from '../context.ts';
import { NamespaceParam, SpendReportSchema, errorResponses, jsonContent, type SpendReport } from '../schemas.ts';
import { databaseErrors, databaseOr503, unavailableResponses } from './database.ts';

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const SpendQuerySchema = z.object({
  channel: z
    .string()
    .max(253, 'channel: at most 253 characters')
    .regex(dnsSubdomain, 'channel: must be a Channel name (lower case letters, digits, - and .)')
    .optional()
    .openapi({ description: 'Only this Channel' }),
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month: a month as YYYY-MM, e.g. 2026-12')
    .optional()
    .openapi({ description: "The report month, YYYY-MM; the current one (in the Channel's budget timezone, else UTC) when absent" }),
  months: z.coerce
    .number()
    .int('months: a whole number')
    .min(1, 'months: at least 1')
    .max(36, 'months: at most 36')
    .default(6)
    .openapi({ description: 'How many months of per-month totals, ending with month' }),
});

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

export function spendRoutes(deps: GatewayDeps) {
  const { cache, authorizer } = deps;
  const routes = routeGroup();

  routes.openapi(
    createRoute({
      method: 'get',
      path: `${API}/namespaces/{namespace}/spend`,
      summary: 'Provider spend from the cost ledger: per Channel per month, per stage and provider, against each budget',
      security: [{ bearer: [] }],
      request: { params: z.object({ namespace: NamespaceParam }), query: SpendQuerySchema },
      responses: { 200: jsonContent(SpendReportSchema, 'The spend report'), ...errorResponses, ...unavailableResponses },
    }),
    async (c) => {
      const { namespace } = c.req.valid('param');
      const query = c.req.valid('query');
      await authorizer.require(c.get('user'), can.listEpisodes(namespace));
      const ledger = new Ledger(databaseOr503(deps));
      const named = query.channel ? cache.channel(namespace, query.channel) : undefined;
      const month = query.month ?? budgetMonth(new Date(), named ? channelTimezone(named.spec) : 'UTC');
      const months = monthsEnding(month, query.months);
      const [monthly, byStageProvider] = await databaseErrors(() =>
        Promise.all([
          ledger.monthlySpend(namespace, months, query.channel),
          ledger.spendByStageAndProvider(namespace, month, query.channel),
        ]),
      );
      // Every Channel there is, and every one the ledger still names (a deleted Channel's spend stays).
      const live = [...cache.channelSummaries()]
        .filter((summary) => summary.namespace === namespace && (!query.channel || summary.name === query.channel))
        .map((summary) => summary.name);
      const names = [...new Set([...live, ...monthly.map((row) => row.channel), ...(query.channel ? [query.channel] : [])])].sort();
      const channels: SpendReport['channels'] = await Promise.all(
        names.map(async (name) => {
          const channel = cache.channel(namespace, name);
          const current = await databaseErrors(() => ledger.channelSpend(namespace, name, month));
          const rows = monthly.filter((row) => row.channel === name);
          return {
            channel: name,
            limitUSD: channel?.spec.budget?.monthlyLimitUSD,
            onExceeded: channel?.spec.budget ? (channel.spec.budget.onExceeded ?? 'Pause') : undefined,
            exists: !!channel,
            months: months.map((m) => {
              const row = rows.find((candidate) => candidate.month === m);
              return { month: m, actualUSD: row?.actualUSD ?? 0, attempts: row?.attempts ?? 0 };
            }),
            actualUSD: current.actualUSD,
            reservedUSD: current.reservedUSD,
          };
        }),
      );
      const report: SpendReport = {
        namespace,
        month,
        months,
        channels,
        byStageProvider,
        totalUSD: round(channels.reduce((sum, channel) => sum + channel.actualUSD, 0)),
      };
      return c.json(report, 200);
    },
  );

  return routes;
}
