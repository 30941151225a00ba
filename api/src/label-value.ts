// A name as a label value: label values hold at most 63 characters, and Episode and Channel names
// may be longer (DNS subdomains, up to 253). A longer name keeps its first 54 characters (without
// trailing separators) and gains 8 hex digits of its SHA-256, so that it stays unique and
// recognisable. The operator labels its Jobs (and so their Pods) with it; whoever selects them by
// name (the gateway's logs, the plugin) must use the same function.
import { createHash } from 'node:crypto';

export function labelValue(value: string): string {
  if (value.length <= 63) return value;
  const digest = createHash('sha256').update(value).digest('hex').slice(0, 8);
  return `${value.slice(0, 54).replace(/[-._]+$/, '')}-${digest}`;
}
