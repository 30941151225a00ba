// Listing: filters, sorting and pagination over the cached views. Pure.
import { z } from '@hono/zod-openapi';

export const EPISODE_SORT_FIELDS = ['name', 'created', 'phase', 'channel', 'cost'] as const;
export const EPISODE_PHASES = ['Pending', 'Running', 'AwaitingApproval', 'Succeeded', 'Failed', 'Cancelled'] as const;

export const listQuerySchema = z.object({
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'namespace: must be a DNS label')
    .optional()
    .openapi({ description: 'Only this namespace; all the user may read when absent' }),
  channel: z.string().max(253).optional().openapi({ description: 'Only episodes of this Channel' }),
  phase: z.enum(EPISODE_PHASES).optional().openapi({ description: 'Only episodes in this phase' }),
  q: z.string().max(200).optional().openapi({ description: 'Text that the name or topic contains (case-insensitive)' }),
  sort: z
    .string()
    .regex(new RegExp(`^-?(${EPISODE_SORT_FIELDS.join('|')})$`), `sort: one of ${EPISODE_SORT_FIELDS.join(', ')}, with - for descending`)
    .default('-created')
    .openapi({ description: 'Sort field, "-" prefix for descending' }),
  limit: z.coerce.number().int().min(1, 'limit: at least 1').max(500, 'limit: at most 500').default(50),
  continue: z.string().max(40).optional().openapi({ description: 'The continue token of the previous page' }),
});

export type ListQuery = z.infer<typeof listQuerySchema>;

export interface Page<T> {
  items: T[];
  total: number;
  continue?: string;
}

interface Sortable {
  namespace: string;
  name: string;
  createdAt?: string;
  phase?: string;
  channel?: string;
  totalCostUSD?: number;
  topic?: string;
}

/** Code-point order: fast and the same everywhere (localeCompare is ten times slower on 10 000 items). */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compare(field: string): (a: Sortable, b: Sortable) => number {
  const byKey = (a: Sortable, b: Sortable) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name);
  switch (field) {
    case 'created':
      return (a, b) => cmp(a.createdAt ?? '', b.createdAt ?? '') || byKey(a, b);
    case 'phase':
      return (a, b) => cmp(a.phase ?? '', b.phase ?? '') || byKey(a, b);
    case 'channel':
      return (a, b) => cmp(a.channel ?? '', b.channel ?? '') || byKey(a, b);
    case 'cost':
      return (a, b) => (a.totalCostUSD ?? 0) - (b.totalCostUSD ?? 0) || byKey(a, b);
    default:
      return (a, b) => cmp(a.name, b.name) || cmp(a.namespace, b.namespace);
  }
}

/** Filters, sorts and cuts one page. The continue token is the offset (the cache is the snapshot). */
export function queryPage<T extends Sortable>(items: Iterable<T>, query: Partial<ListQuery>): Page<T> {
  const text = query.q?.trim().toLowerCase();
  const selected: T[] = [];
  for (const item of items) {
    if (query.namespace && item.namespace !== query.namespace) continue;
    if (query.channel && item.channel !== query.channel) continue;
    if (query.phase && item.phase !== query.phase) continue;
    if (text && !item.name.toLowerCase().includes(text) && !(item.topic ?? '').toLowerCase().includes(text)) continue;
    selected.push(item);
  }
  const sort = query.sort ?? '-created';
  const descending = sort.startsWith('-');
  const order = compare(descending ? sort.slice(1) : sort);
  selected.sort(descending ? (a, b) => order(b, a) : order);
  const offset = decodeContinue(query.continue);
  const limit = query.limit ?? 50;
  const items_ = selected.slice(offset, offset + limit);
  const next = offset + limit < selected.length ? encodeContinue(offset + limit) : undefined;
  return { items: items_, total: selected.length, continue: next };
}

export function encodeContinue(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

export class BadContinueToken extends Error {}

export function decodeContinue(token: string | undefined): number {
  if (!token) return 0;
  const match = /^o:(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  if (!match) throw new BadContinueToken('continue: not a token this gateway gave out');
  return Number(match[1]);
}
