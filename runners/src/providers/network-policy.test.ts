// The network policy against real local HTTP servers: what resolves to a private address is refused
// before any connection, redirects are checked hop by hop, and only an explicit allowlist lets the
// local stand-ins through.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkUrlAddress, guardedFetch, networkPolicy, NetworkPolicyError, nonPublicReason } from './network-policy.ts';

interface Recorder {
  server: Server;
  url: string;
  seen: { path: string; headers: IncomingHttpHeaders }[];
}

async function recorder(host: string, answer: (path: string) => { status: number; headers?: Record<string, string> }): Promise<Recorder> {
  const seen: Recorder['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '/', headers: req.headers });
    const { status, headers } = answer(req.url ?? '/');
    res.writeHead(status, { 'content-length': '2', ...headers }).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}`, seen };
}

let allowed: Recorder;
let other: Recorder;

beforeAll(async () => {
  // 127.0.0.2 is loopback too (all of 127/8 is), but outside the allowlist the tests give.
  other = await recorder('127.0.0.2', () => ({ status: 200 }));
  allowed = await recorder('127.0.0.1', (path) => {
    if (path === '/to-metadata') return { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } };
    if (path === '/to-other') return { status: 307, headers: { location: `${other.url}/secret` } };
    if (path === '/to-self') return { status: 301, headers: { location: '/final' } };
    if (path === '/loop') return { status: 302, headers: { location: '/loop' } };
    return { status: 200 };
  });
});

afterAll(async () => {
  for (const { server } of [allowed, other]) await new Promise((resolve) => server.close(resolve));
});

describe('nonPublicReason', () => {
  it('names loopback, private, CGNAT, link-local, unique-local, unspecified and multicast addresses', () => {
    expect(nonPublicReason('127.0.0.1')).toMatch(/^loopback/);
    expect(nonPublicReason('10.1.2.3')).toMatch(/^private \(10/);
    expect(nonPublicReason('172.31.255.255')).toMatch(/^private \(172\.16/);
    expect(nonPublicReason('192.168.1.1')).toMatch(/^private \(192\.168/);
    expect(nonPublicReason('100.100.100.200')).toMatch(/^carrier-grade NAT/);
    expect(nonPublicReason('169.254.169.254')).toMatch(/^link-local .*metadata/);
    expect(nonPublicReason('0.0.0.0')).toMatch(/this network/);
    expect(nonPublicReason('224.0.0.251')).toMatch(/^multicast/);
    expect(nonPublicReason('255.255.255.255')).toMatch(/^reserved/);
    expect(nonPublicReason('::1')).toMatch(/^loopback/);
    expect(nonPublicReason('::')).toMatch(/^unspecified/);
    expect(nonPublicReason('fd12:3456::1')).toMatch(/^unique-local/);
    expect(nonPublicReason('fe80::1')).toMatch(/^link-local/);
    expect(nonPublicReason('ff02::1')).toMatch(/^multicast/);
  });

  it('reads IPv4 inside IPv6 as the IPv4 address, and lets public addresses through', () => {
    expect(nonPublicReason('::ffff:127.0.0.1')).toMatch(/^loopback/);
    expect(nonPublicReason('::ffff:a9fe:a9fe')).toMatch(/^link-local/);
    expect(nonPublicReason('64:ff9b::10.0.0.1')).toMatch(/^private/);
    expect(nonPublicReason('::ffff:8.8.8.8')).toBeUndefined();
    expect(nonPublicReason('8.8.8.8')).toBeUndefined();
    expect(nonPublicReason('100.63.255.255')).toBeUndefined();
    expect(nonPublicReason('2606:4700:4700::1111')).toBeUndefined();
  });
});

describe('networkPolicy', () => {
  it('refuses a malformed allowlist, naming the entry', () => {
    expect(() => networkPolicy({ ACOG_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8, localhost' })).toThrow(
      /ACOG_ALLOW_PRIVATE_NETWORKS: "localhost" is not an IP address or CIDR network/,
    );
    expect(() => networkPolicy({ ACOG_ALLOW_PRIVATE_NETWORKS: '10.0.0.0/33' })).toThrow(NetworkPolicyError);
    expect(networkPolicy({ ACOG_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8,::1 10.1.0.0/16' }).allowed.check('10.1.2.3')).toBe(true);
  });
});

describe('checkUrlAddress', () => {
  const none = networkPolicy({});
  const loopback = networkPolicy({ ACOG_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8,::1' });

  it('refuses what resolves to a private address by default, naming the URL and the range', async () => {
    await expect(checkUrlAddress(`${allowed.url}/video.mp4?signature=secret`, none, "HeyGen's video_url")).rejects.toThrow(
      `HeyGen's video_url ${allowed.url}/video.mp4 resolves to 127.0.0.1, a loopback (127.0.0.0/8) address: refused (ACOG_ALLOW_PRIVATE_NETWORKS allows no private network)`,
    );
    await expect(checkUrlAddress('http://169.254.169.254/latest/meta-data/', loopback, 'a media URL')).rejects.toThrow(
      /169\.254\.169\.254, a link-local .* address: refused \(ACOG_ALLOW_PRIVATE_NETWORKS allows only 127\.0\.0\.0\/8,::1\)/,
    );
    // A name is resolved: localhost is loopback whatever it resolves to.
    await expect(checkUrlAddress('http://localhost:9/', none, 'a media URL')).rejects.toThrow(/resolves to (127\.0\.0\.1|::1), a loopback/);
    await expect(checkUrlAddress('http://[::ffff:127.0.0.1]:9/', none, 'a media URL')).rejects.toThrow(/a loopback/);
    await expect(checkUrlAddress('http://[fd00::1]/', loopback, 'a media URL')).rejects.toThrow(/unique-local/);
    await expect(checkUrlAddress('ftp://example.com/x', loopback, 'a media URL')).rejects.toThrow(/is not an http\(s\) URL/);
    expect(allowed.seen).toEqual([]);
  });

  it('lets public addresses through, and private ones the allowlist names', async () => {
    await expect(checkUrlAddress('https://8.8.8.8/x', none, 'a media URL')).resolves.toBeUndefined();
    await expect(checkUrlAddress(`${allowed.url}/x`, loopback, 'a media URL')).resolves.toBeUndefined();
    await expect(checkUrlAddress('http://localhost:9/', loopback, 'a media URL')).resolves.toBeUndefined();
  });
});

describe('guardedFetch', () => {
  const only = networkPolicy({ ACOG_ALLOW_PRIVATE_NETWORKS: '127.0.0.1' });

  it('connects to nothing the policy refuses', async () => {
    const fetchNone = guardedFetch(networkPolicy({}), "Runway's task output");
    await expect(fetchNone(`${allowed.url}/clip.mp4`)).rejects.toThrow(NetworkPolicyError);
    expect(allowed.seen).toEqual([]);
  });

  it('checks every redirect: to the metadata service, to a host outside the allowlist', async () => {
    const fetchAllowed = guardedFetch(only, "Pexels' file link");
    await expect(fetchAllowed(`${allowed.url}/to-metadata`)).rejects.toThrow(
      /Pexels' file link \(redirected\) http:\/\/169\.254\.169\.254\/latest\/meta-data\/ resolves to 169\.254\.169\.254, a link-local/,
    );
    await expect(fetchAllowed(`${allowed.url}/to-other`, { headers: { authorization: 'Bearer k' } })).rejects.toThrow(
      /resolves to 127\.0\.0\.2, a loopback .* allows only 127\.0\.0\.1/,
    );
    expect(other.seen).toEqual([]);
    await expect(fetchAllowed(`${allowed.url}/loop`)).rejects.toThrow(/redirected more than 10 times/);
  });

  it('follows allowed redirects, and drops credentials when the origin changes', async () => {
    const fetchAllowed = guardedFetch(only, 'a media URL');
    const same = await fetchAllowed(`${allowed.url}/to-self`, { headers: { authorization: 'Bearer k' } });
    expect(same.status).toBe(200);
    expect(allowed.seen.at(-1)).toMatchObject({ path: '/final', headers: { authorization: 'Bearer k' } });

    const both = guardedFetch(networkPolicy({ ACOG_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8' }), 'a media URL');
    const moved = await both(`${allowed.url}/to-other`, {
      method: 'PUT',
      body: 'xy',
      headers: { authorization: 'Bearer k', 'x-api-key': 'k' },
    });
    expect(moved.status).toBe(200);
    expect(other.seen).toHaveLength(1);
    expect(other.seen[0].path).toBe('/secret');
    expect(other.seen[0].headers.authorization).toBeUndefined();
    expect(other.seen[0].headers['x-api-key']).toBeUndefined();
  });
});
