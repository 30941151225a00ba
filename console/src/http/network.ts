// Where a request came from: the peer address of the connection, the client behind a trusted
// reverse proxy (X-Forwarded-For), whether it came over TLS (the socket, or X-Forwarded-Proto from
// a trusted proxy), and whether it passed through a proxy at all. Headers that say where a request
// came from are believed only from the addresses configured as trusted; anyone can send them.
import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';

/** A set of addresses and CIDR ranges (IPv4 and IPv6), e.g. "127.0.0.1", "::1", "10.0.0.0/8". */
export class AddressSet {
  private readonly list = new BlockList();
  readonly entries: readonly string[];

  constructor(entries: readonly string[]) {
    this.entries = entries;
    for (const entry of entries) {
      const [address, bits] = entry.split('/');
      const family = isIP(address);
      if (!family) throw new Error(`"${entry}" is not an IP address or CIDR range`);
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(address, type);
      else {
        const prefix = Number(bits);
        if (!/^\d+$/.test(bits) || prefix > (family === 6 ? 128 : 32)) throw new Error(`"${entry}" has no valid prefix length`);
        this.list.addSubnet(address, prefix, type);
      }
    }
  }

  has(address: string | undefined): boolean {
    if (!address) return false;
    const plain = normaliseAddress(address);
    const family = isIP(plain);
    if (!family) return false;
    return this.list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }
}

/** An IPv4 address as Node reports it on a dual-stack socket (::ffff:127.0.0.1) in its plain form. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export const LOOPBACK = new AddressSet(['127.0.0.0/8', '::1']);

interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string; encrypted?: boolean } };
}

/** The address of the connection's peer (the proxy, when there is one in front). */
export function peerAddress(c: Context): string | undefined {
  const address = (c.env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress;
  return address === undefined ? undefined : normaliseAddress(address);
}

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip'];

export interface RequestOrigin {
  /** The connection's peer. */
  peer?: string;
  /** The client: the peer, or the nearest untrusted address in X-Forwarded-For when the peer is a trusted proxy. */
  client?: string;
  /** Over TLS: the socket is, or a trusted proxy says so in X-Forwarded-Proto. */
  tls: boolean;
  /** The request says it went through a proxy (any forwarding header). */
  forwarded: boolean;
}

export function originOf(c: Context, trustedProxies: AddressSet): RequestOrigin {
  const peer = peerAddress(c);
  const headers = c.req.raw.headers;
  const forwarded = FORWARDING_HEADERS.some((name) => headers.has(name));
  const encrypted = Boolean((c.env as NodeBindings | undefined)?.incoming?.socket?.encrypted);
  if (!trustedProxies.has(peer)) return { peer, client: peer, tls: encrypted, forwarded };
  // Right to left: each trusted hop names the one before it; the first address not trusted is the client.
  let client = peer;
  const hops = (headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isIP(normaliseAddress(hops[i]))) break;
    client = normaliseAddress(hops[i]);
    if (!trustedProxies.has(client)) break;
  }
  const proto = headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return { peer, client, tls: encrypted || proto === 'https', forwarded };
}
