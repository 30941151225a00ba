import { describe, expect, it } from 'vitest';
import { HttpError } from '../http/errors.ts';
import { remoteUser, requestHeaderConfig, requireFrontProxy } from './request-header.ts';

// kube-system/extension-apiserver-authentication as kube-apiserver writes it.
const data = {
  'requestheader-client-ca-file': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  'requestheader-allowed-names': '["front-proxy-client"]',
  'requestheader-username-headers': '["X-Remote-User"]',
  'requestheader-group-headers': '["X-Remote-Group"]',
  'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
};
const config = requestHeaderConfig(data);

function status(run: () => unknown): number | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as HttpError).status;
  }
}

describe('requestHeaderConfig', () => {
  it("reads the API server's settings", () => {
    expect(config).toEqual({
      clientCa: data['requestheader-client-ca-file'].trim(),
      allowedNames: ['front-proxy-client'],
      usernameHeaders: ['X-Remote-User'],
      groupHeaders: ['X-Remote-Group'],
      extraHeaderPrefixes: ['X-Remote-Extra-'],
    });
  });

  it('names what is missing or malformed', () => {
    expect(() => requestHeaderConfig({})).toThrow(/no requestheader-client-ca-file: the API server runs without the aggregation layer/);
    expect(() => requestHeaderConfig({ ...data, 'requestheader-group-headers': 'X-Remote-Group' })).toThrow(
      /requestheader-group-headers is not a JSON list of strings/,
    );
    expect(() => requestHeaderConfig({ ...data, 'requestheader-username-headers': '[]' })).toThrow(
      /requestheader-username-headers is empty/,
    );
  });
});

describe('requireFrontProxy', () => {
  it('admits only a verified certificate with an allowed common name', () => {
    expect(status(() => requireFrontProxy({ authorized: true, commonName: 'front-proxy-client' }, config))).toBeUndefined();
    expect(status(() => requireFrontProxy({ authorized: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, config))).toBe(401);
    expect(status(() => requireFrontProxy({ authorized: true, commonName: 'acog-admin' }, config))).toBe(401);
    // No allowed names listed: any certificate the requestheader CA signed.
    expect(status(() => requireFrontProxy({ authorized: true, commonName: 'anything' }, { allowedNames: [] }))).toBeUndefined();
  });
});

describe('remoteUser', () => {
  it('takes the user, every group header and the extras (keys lower-cased and percent-decoded)', () => {
    const user = remoteUser(
      {
        'x-remote-user': ['alice@example.com'],
        'x-remote-group': ['team-a', 'system:authenticated'],
        'x-remote-extra-scopes': ['view'],
        'x-remote-extra-acme.com%2fproject': ['p1', 'p2'],
        'x-remote-extra-': ['ignored'],
        authorization: ['Bearer not-read'],
      },
      config,
    );
    expect(user).toEqual({
      username: 'alice@example.com',
      groups: ['team-a', 'system:authenticated'],
      extra: { scopes: ['view'], 'acme.com/project': ['p1', 'p2'] },
      via: 'proxy',
    });
  });

  it('refuses a request that names no user', () => {
    expect(status(() => remoteUser({ 'x-remote-group': ['system:masters'] }, config))).toBe(401);
    expect(status(() => remoteUser({ 'x-remote-user': ['  '] }, config))).toBe(401);
  });
});
