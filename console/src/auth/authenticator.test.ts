import { describe, expect, it } from 'vitest';
import { HttpError } from '../http/errors.ts';
import { credentialsOf, FailureLimiter, tokenExpiry } from './authenticator.ts';

const jwt = (payload: object) =>
  ['{"alg":"RS256"}', JSON.stringify(payload), 'signature']
    .map((part, i) => (i < 2 ? Buffer.from(part).toString('base64url') : part))
    .join('.');

describe('tokenExpiry', () => {
  it("reads a JWT's exp, and nothing from other tokens", () => {
    expect(tokenExpiry(jwt({ sub: 'system:serviceaccount:a:b', exp: 1_900_000_000 }))).toEqual(new Date(1_900_000_000_000));
    expect(tokenExpiry(jwt({ sub: 'x' }))).toBeUndefined();
    expect(tokenExpiry(jwt({ exp: 'soon' }))).toBeUndefined();
    expect(tokenExpiry('a-static-token')).toBeUndefined();
    expect(tokenExpiry('a.b.c')).toBeUndefined();
  });
});

describe('credentialsOf', () => {
  const proxy = { userHeader: 'X-Remote-User', groupsHeader: 'X-Remote-Group', trustedAddresses: ['10.0.0.0/24', '::1'] };
  const message = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error instanceof HttpError ? `${error.status} ${error.message}` : String(error);
    }
    return 'no error';
  };

  it("takes the proxy's user and groups from its addresses, the user required", () => {
    const headers = new Headers({ 'x-remote-user': 'ada', 'x-remote-group': 'a, b' });
    expect(credentialsOf(headers, '10.0.0.7', proxy)).toEqual({ proxyUser: 'ada', proxyGroups: ['a', 'b'] });
    expect(credentialsOf(headers, '::ffff:10.0.0.7', proxy)).toEqual({ proxyUser: 'ada', proxyGroups: ['a', 'b'] });
    expect(message(() => credentialsOf(new Headers({ 'x-remote-group': 'system:masters' }), '10.0.0.7', proxy))).toMatch(
      /^401 X-Remote-Group without X-Remote-User/,
    );
    expect(message(() => credentialsOf(headers, '10.0.1.7', proxy))).toMatch(/^401 .*only from the authenticating proxy's addresses/);
    // Without a proxy configured, the headers mean nothing.
    expect(credentialsOf(headers, '10.0.0.7')).toEqual({});
  });
});

describe('FailureLimiter', () => {
  it('counts distinct refused tokens per client in a window of a minute', () => {
    let now = 0;
    const limiter = new FailureLimiter({ limit: 2, now: () => now });
    limiter.fail('a', 't1');
    limiter.fail('a', 't1');
    expect(limiter.retryAfter('a')).toBe(0);
    limiter.fail('a', 't2');
    expect(limiter.retryAfter('a')).toBe(60);
    expect(limiter.retryAfter('b')).toBe(0);
    now = 45_000;
    expect(limiter.retryAfter('a')).toBe(15);
    now = 60_000;
    expect(limiter.retryAfter('a')).toBe(0);
  });
});
