// Which addresses a runner may connect to when a URL comes from somewhere it cannot trust.
//
// The rule: a URL that comes from a provider's answer (HeyGen's video_url and upload_url, Runway's
// task output, Pexels' file links) or from an Episode's spec (an llm baseURL the Channel did not
// allow, channel media fetched over https) may reach only public addresses. The host is resolved
// (DNS), and every address it resolves to must be outside loopback (127/8, ::1), "this network" and
// unspecified (0/8, ::), private networks (10/8, 172.16/12, 192.168/16), CGNAT (100.64/10),
// link-local (169.254/16 — the cloud metadata service 169.254.169.254 — and fe80::/10), unique-local
// IPv6 (fc00::/7), multicast and the reserved, benchmark and documentation ranges; IPv4 addresses
// inside IPv6 (::ffff:a.b.c.d, 64:ff9b::a.b.c.d) count as the IPv4 address. Redirects are followed
// by hand and each hop is checked the same way.
//
// Not checked: base URLs a person configured — the Channel's own llm baseURL and those listed in
// its spec.episodeOverrides.baseURLs (the Channel is written by the namespace's admins; a local
// Ollama is a legitimate private address) — and the provider endpoints of the runner's environment
// (ACOG_*_BASE_URL, set by whoever runs the runner).
//
// Private addresses are refused unless ACOG_ALLOW_PRIVATE_NETWORKS lists them: a comma-separated
// list of addresses or CIDR networks (e.g. "127.0.0.0/8,::1" for the local test stand-ins, or a
// cluster's own media server). Nothing is allowed by default.
//
// The check happens before each request; a DNS answer that changes between the check and the
// connection (DNS rebinding) is not caught, since Node's fetch takes no resolver of ours.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ProviderError } from './http.ts';

export const ALLOW_PRIVATE_NETWORKS_ENV = 'ACOG_ALLOW_PRIVATE_NETWORKS';

const REFUSED_V4: [string, number, string][] = [
  ['0.0.0.0', 8, '"this network" (0.0.0.0/8)'],
  ['10.0.0.0', 8, 'private (10.0.0.0/8)'],
  ['100.64.0.0', 10, 'carrier-grade NAT (100.64.0.0/10)'],
  ['127.0.0.0', 8, 'loopback (127.0.0.0/8)'],
  ['169.254.0.0', 16, 'link-local (169.254.0.0/16, where cloud metadata services answer)'],
  ['172.16.0.0', 12, 'private (172.16.0.0/12)'],
  ['192.0.0.0', 24, 'IETF protocol assignments (192.0.0.0/24)'],
  ['192.0.2.0', 24, 'documentation (192.0.2.0/24)'],
  ['192.88.99.0', 24, '6to4 relay anycast (192.88.99.0/24)'],
  ['192.168.0.0', 16, 'private (192.168.0.0/16)'],
  ['198.18.0.0', 15, 'benchmarking (198.18.0.0/15)'],
  ['198.51.100.0', 24, 'documentation (198.51.100.0/24)'],
  ['203.0.113.0', 24, 'documentation (203.0.113.0/24)'],
  ['224.0.0.0', 4, 'multicast (224.0.0.0/4)'],
  ['240.0.0.0', 4, 'reserved (240.0.0.0/4, with broadcast)'],
];

const REFUSED_V6: [string, number, string][] = [
  ['::', 128, 'unspecified (::)'],
  ['::1', 128, 'loopback (::1)'],
  ['100::', 64, 'discard (100::/64)'],
  ['2001:db8::', 32, 'documentation (2001:db8::/32)'],
  ['fc00::', 7, 'unique-local (fc00::/7)'],
  ['fe80::', 10, 'link-local (fe80::/10)'],
  ['fec0::', 10, 'site-local (fec0::/10)'],
  ['ff00::', 8, 'multicast (ff00::/8)'],
];

const REFUSED = [
  ...REFUSED_V4.map(([network, prefix, label]) => ({ label, list: subnet(network, prefix, 'ipv4') })),
  ...REFUSED_V6.map(([network, prefix, label]) => ({ label, list: subnet(network, prefix, 'ipv6') })),
];

function subnet(network: string, prefix: number, family: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return list;
}

/** The eight 16-bit groups of an IPv6 address (with or without an embedded IPv4 tail). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const start = parse(head);
  const end = parse(tail);
  return tail === undefined ? start : [...start, ...new Array<number>(8 - start.length - end.length).fill(0), ...end];
}

/** The IPv4 address an IPv6 address carries (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96), if any. */
function embeddedIPv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  if (groups.length !== 8) return undefined;
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((group) => group === 0);
  if (!mapped && !nat64) return undefined;
  return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
}

/** Why an address is not public (e.g. "loopback (127.0.0.0/8)"), or undefined for a public address. */
export function nonPublicReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const v4 = embeddedIPv4(address);
    if (v4) return nonPublicReason(v4);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return REFUSED.find((range) => range.list.check(address, type))?.label;
}

export interface NetworkPolicy {
  /** Networks let through although they are not public (ACOG_ALLOW_PRIVATE_NETWORKS). */
  readonly allowed: BlockList;
  /** The allowlist as given, for messages. */
  readonly allowedText: string;
}

/** The policy of a runner's environment; a malformed ACOG_ALLOW_PRIVATE_NETWORKS fails here, naming the entry. */
export function networkPolicy(env: Record<string, string | undefined>): NetworkPolicy {
  const allowed = new BlockList();
  const text = env[ALLOW_PRIVATE_NETWORKS_ENV]?.trim() ?? '';
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    const [address, prefixText, extra] = entry.split('/');
    const family = isIP(address);
    const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
    if (!family || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
      throw new NetworkPolicyError(
        `${ALLOW_PRIVATE_NETWORKS_ENV}: "${entry}" is not an IP address or CIDR network (e.g. 127.0.0.0/8, ::1, 10.1.0.0/16)`,
      );
    }
    allowed.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return { allowed, allowedText: text };
}

function isAllowed(policy: NetworkPolicy, address: string): boolean {
  const family = isIP(address);
  if (policy.allowed.check(address, family === 4 ? 'ipv4' : 'ipv6')) return true;
  const v4 = family === 6 ? embeddedIPv4(address) : undefined;
  return v4 !== undefined && policy.allowed.check(v4, 'ipv4');
}

/** A URL the network policy refuses: not worth retrying, and said in one line. */
export class NetworkPolicyError extends ProviderError {
  constructor(message: string, provider = 'network policy') {
    super(provider, 'client', message);
    this.name = 'NetworkPolicyError';
  }
}

/** A URL without its query and fragment, which may carry signatures. */
function shown(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * Resolves the URL's host and refuses it (NetworkPolicyError) when any address it resolves to is
 * not public and not allowed. `what` names the URL's origin in the message, e.g. "HeyGen's video_url".
 */
export async function checkUrlAddress(url: URL | string, policy: NetworkPolicy, what: string): Promise<void> {
  const target = typeof url === 'string' ? new URL(url) : url;
  if (target.protocol !== 'https:' && target.protocol !== 'http:')
    throw new NetworkPolicyError(`${what} ${shown(target)} is not an http(s) URL: refused`);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
  for (const address of addresses) {
    const reason = nonPublicReason(address);
    if (reason && !isAllowed(policy, address)) {
      throw new NetworkPolicyError(
        `${what} ${shown(target)} resolves to ${address}, a ${reason} address: refused (${ALLOW_PRIVATE_NETWORKS_ENV} ${
          policy.allowedText ? `allows only ${policy.allowedText}` : 'allows no private network'
        })`,
      );
    }
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key'];

/**
 * A fetch that checks the address of every request and of every redirect it follows. A 303, or a
 * 301/302 of a POST, continues as a GET without a body, as browsers do; 307 and 308 repeat the
 * request (bodies here are strings or Blobs, which can be sent again). A redirect to another origin
 * drops the credential headers.
 */
export function guardedFetch(policy: NetworkPolicy, what: string, base: typeof fetch = fetch): typeof fetch {
  return async (input, init = {}) => {
    let url = new URL(input instanceof Request ? input.url : String(input));
    let method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    let body = init.body;
    let headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    const origin = url.origin;
    const follow = (init.redirect ?? 'follow') === 'follow';
    for (let hop = 0; ; hop++) {
      await checkUrlAddress(url, policy, hop === 0 ? what : `${what} (redirected)`);
      const response = await base(hop === 0 ? input : url, { ...init, method, body, headers, redirect: 'manual' });
      const location = response.headers.get('location');
      if (!follow || !REDIRECTS.has(response.status) || !location) return response;
      if (hop >= MAX_REDIRECTS) throw new NetworkPolicyError(`${what} ${shown(url)} redirected more than ${MAX_REDIRECTS} times`);
      await response.body?.cancel();
      url = new URL(location, url);
      // Credentials stay with the origin they were meant for, as fetch's own redirects keep them.
      if (url.origin !== origin) {
        headers = new Headers(headers);
        for (const name of CREDENTIAL_HEADERS) headers.delete(name);
      }
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = undefined;
      }
    }
  };
}
