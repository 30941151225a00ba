import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  apiMessage,
  ignoreNotFound,
  isConflict,
  isForbidden,
  isNotFound,
  statusCauses,
  statusCode,
  statusOf,
  statusReason,
} from './errors.ts';

const invalid = new ApiException(
  422,
  'Unprocessable Entity',
  JSON.stringify({
    kind: 'Status',
    reason: 'Invalid',
    message: 'Episode.acog.dev "x" is invalid: [spec.topic: Invalid value: "", spec.skip[0]: Unsupported value: "plan"]',
    details: {
      name: 'x',
      kind: 'Episode',
      causes: [
        { field: 'spec.topic', message: 'Invalid value: ""', reason: 'FieldValueInvalid' },
        { field: 'spec.skip[0]', message: 'Unsupported value: "plan"' },
      ],
    },
  }),
  {},
);

describe('Kubernetes errors', () => {
  it('reads code, reason, message and causes from a Status body sent as a string', () => {
    expect(statusCode(invalid)).toBe(422);
    expect(statusReason(invalid)).toBe('Invalid');
    expect(statusOf(invalid)?.details?.name).toBe('x');
    expect(statusCauses(invalid)).toEqual([
      { field: 'spec.topic', message: 'Invalid value: ""' },
      { field: 'spec.skip[0]', message: 'Unsupported value: "plan"' },
    ]);
    expect(apiMessage(invalid)).toMatch(/^422: Episode.acog.dev "x" is invalid: \[spec.topic/);
  });

  it('takes a Status body already parsed, and a body that is not JSON as the message', () => {
    const parsed = new ApiException(409, 'Conflict', { reason: 'Conflict', message: 'the object has been modified' }, {});
    expect(isConflict(parsed)).toBe(true);
    expect(apiMessage(parsed)).toBe('409: the object has been modified');
    const text = new ApiException(502, 'Bad Gateway', '<html>bad gateway</html>', {});
    expect(statusOf(text)).toEqual({ message: '<html>bad gateway</html>' });
    expect(statusCauses(text)).toEqual([]);
  });

  it('classifies codes, and errors that never reached the server have none', () => {
    const notFound = new ApiException(404, 'Not Found', '{}', {});
    expect([isNotFound(notFound), isConflict(notFound), isForbidden(notFound)]).toEqual([true, false, false]);
    expect(isForbidden(new ApiException(403, 'Forbidden', '{}', {}))).toBe(true);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    expect(statusCode(refused)).toBeUndefined();
    expect(statusOf(refused)).toBeUndefined();
    expect(apiMessage(refused)).toBe('connect ECONNREFUSED 127.0.0.1:6443');
  });

  it('ignoreNotFound turns only a 404 into undefined', async () => {
    await expect(ignoreNotFound(Promise.reject(new ApiException(404, 'Not Found', '{}', {})))).resolves.toBeUndefined();
    await expect(ignoreNotFound(Promise.resolve(7))).resolves.toBe(7);
    await expect(ignoreNotFound(Promise.reject(invalid))).rejects.toBe(invalid);
  });
});
