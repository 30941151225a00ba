// The SubjectAccessReview cache, against the local control plane's API server: two users that
// differ in anything a review is asked about never share a decision.
import { describe, expect, it } from 'vitest';
import { kubeConfig } from '../../../test/support/env.ts';
import { Authorizer, permissionKey, userKey } from './authorizer.ts';

describe('Authorizer', () => {
  it('keys its cache by every field of the user: extra too, and groups that a join would confuse', async () => {
    let sent = 0;
    const authorizer = new Authorizer({ kubeConfig: kubeConfig('admin'), onReview: () => sent++ });
    const permission = { verb: 'list', group: 'acog.dev', resource: 'episodes', namespace: 'team-a' };
    const viewer = { username: 'someone', groups: ['acog:viewers'], via: 'token' as const };
    expect((await authorizer.check(viewer, permission)).allowed).toBe(true);
    expect((await authorizer.check({ ...viewer }, permission)).allowed).toBe(true);
    expect(sent).toBe(1);
    await authorizer.check({ ...viewer, extra: { scopes: ['read-only'] } }, permission);
    expect(sent).toBe(2);
    // Groups "acog:viewers" and "x" are not the one group "acog:viewers,x" (which no binding names).
    expect((await authorizer.check({ username: 'someone', groups: ['acog:viewers', 'x'], via: 'token' }, permission)).allowed).toBe(true);
    expect((await authorizer.check({ username: 'someone', groups: ['acog:viewers,x'], via: 'token' }, permission)).allowed).toBe(false);
    expect(sent).toBe(4);
  });

  it('makes one key of a user whatever the order of groups and extra values, and different keys otherwise', () => {
    expect(userKey({ username: 'u', groups: ['a,b'] })).not.toBe(userKey({ username: 'u', groups: ['a', 'b'] }));
    expect(userKey({ username: 'u', groups: ['b', 'a'], extra: { k: ['2', '1'], j: [] } })).toBe(
      userKey({ username: 'u', groups: ['a', 'b'], extra: { j: [], k: ['1', '2'] } }),
    );
    expect(userKey({ username: 'u', groups: [], extra: { k: ['1'] } })).not.toBe(
      userKey({ username: 'u', groups: [], extra: { k: ['2'] } }),
    );
    expect(userKey({ username: 'u', uid: 'x', groups: [] })).not.toBe(userKey({ username: 'u', groups: [] }));
    expect(permissionKey({ verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'a' })).not.toBe(
      permissionKey({ verb: 'get', group: '', resource: 'pods', namespace: 'a', name: 'log' }),
    );
  });
});
