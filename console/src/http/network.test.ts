import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { AddressSet, originOf } from './network.ts';

/** What originOf says of a request from `peer` with these headers. */
async function origin(trusted: string[], peer: string, headers: Record<string, string> = {}, encrypted = false) {
  const app = new Hono();
  app.get('/', (c) => c.json(originOf(c, new AddressSet(trusted))));
  const response = await app.fetch(new Request('http://gateway/', { headers }), {
    incoming: { socket: { remoteAddress: peer, encrypted } },
  });
  return response.json();
}

describe('AddressSet', () => {
  it('holds addresses and CIDR ranges of both families, and refuses what is neither', () => {
    const set = new AddressSet(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1']);
    expect(['127.0.0.1', '::ffff:127.0.0.1', '10.1.2.3', 'fd12::1', '::1'].map((a) => set.has(a))).toEqual([true, true, true, true, true]);
    expect(['127.0.0.2', '11.0.0.1', 'fe80::1', 'nonsense', undefined].map((a) => set.has(a))).toEqual([false, false, false, false, false]);
    expect(() => new AddressSet(['localhost'])).toThrow(/not an IP address/);
    expect(() => new AddressSet(['10.0.0.0/33'])).toThrow(/prefix length/);
  });
});

describe('originOf', () => {
  it('believes X-Forwarded-For and X-Forwarded-Proto only from a trusted proxy', async () => {
    const headers = { 'x-forwarded-for': '198.51.100.7, 10.0.0.9', 'x-forwarded-proto': 'https' };
    expect(await origin(['10.0.0.0/8'], '10.0.0.2', headers)).toEqual({
      peer: '10.0.0.2',
      client: '198.51.100.7',
      tls: true,
      forwarded: true,
    });
    expect(await origin([], '10.0.0.2', headers)).toEqual({ peer: '10.0.0.2', client: '10.0.0.2', tls: false, forwarded: true });
    expect(await origin(['10.0.0.0/8'], '10.0.0.2')).toEqual({ peer: '10.0.0.2', client: '10.0.0.2', tls: false, forwarded: false });
    expect(await origin([], '::ffff:192.0.2.1', {}, true)).toEqual({ peer: '192.0.2.1', client: '192.0.2.1', tls: true, forwarded: false });
    // A client's own X-Forwarded-For entries left of the first untrusted hop are not believed.
    expect((await origin(['10.0.0.0/8'], '10.0.0.2', { 'x-forwarded-for': '1.1.1.1, 203.0.113.5' })).client).toBe('203.0.113.5');
  });
});
