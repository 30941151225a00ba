import { describe, expect, it } from 'vitest';
import { checkStageResult, isStageResultProblem, MAX_RESULT_BYTES, parseStageResult, type StageResultExpectation } from './stage-result.ts';

const expected: StageResultExpectation = { namespace: 'team-a', episode: 'ep', uid: 'uid-1', stage: 'voice', attempt: 2 };
const prefix = 's3://acog-assets/team-a/ep/uid-1/voice/2/';
const good = {
  stage: 'voice',
  attempt: 2,
  inputHash: 'sha256:abc',
  provider: 'espeak',
  artifacts: { 'narration.wav': `${prefix}narration.wav`, 'clips/1.mp4': `${prefix}clips/1.mp4` },
  usage: { characters: 1200 },
  costUSD: 0.25,
  startedAt: '2026-12-01T10:00:00.120Z',
  finishedAt: '2026-12-01T10:00:04Z',
  message: 'narrated',
};

const problem = (raw: unknown, expect_: Partial<StageResultExpectation> = {}) => {
  const checked = checkStageResult(raw, { ...expected, ...expect_ });
  return isStageResultProblem(checked) ? checked.error : undefined;
};

describe('checkStageResult', () => {
  it('accepts a result of the expected attempt and drops unknown fields', () => {
    const checked = checkStageResult({ ...good, extra: 'x'.repeat(100) }, { ...expected, inputHash: 'sha256:abc' });
    expect(isStageResultProblem(checked)).toBe(false);
    expect(checked).toEqual(good);
  });

  it('names a missing field, a negative cost, a wrong type and an impossible value', () => {
    const { artifacts: _artifacts, ...withoutArtifacts } = good;
    expect(problem(withoutArtifacts)).toBe('result.json of voice attempt 2 is invalid: artifacts: missing');
    expect(problem({ ...good, costUSD: -1 })).toBe('result.json of voice attempt 2 is invalid: costUSD: must be >= 0');
    expect(problem({ ...good, costUSD: 1e308 })).toMatch(/costUSD: must be <= 1000000/);
    expect(problem({ ...good, usage: { tokens: 'many' } })).toMatch(/usage\.tokens: must be a number/);
    expect(problem({ ...good, attempt: 1.5 })).toMatch(/attempt: must be an integer/);
    expect(problem({ ...good, startedAt: 'yesterday' })).toMatch(/startedAt: must be a date-time/);
    expect(problem({ ...good, message: 'x'.repeat(5000) })).toMatch(/message: longer than 2048 characters/);
    expect(problem(['not', 'an', 'object'])).toMatch(/not a JSON object/);
    expect(problem(null)).toMatch(/not a JSON object/);
  });

  it('refuses a result of another stage, attempt or inputs', () => {
    expect(problem({ ...good, attempt: 7 })).toBe('result.json of voice attempt 2 is invalid: attempt: is 7, not 2');
    expect(problem({ ...good, stage: 'plan' })).toMatch(/stage: is plan, not voice/);
    expect(problem(good, { inputHash: 'sha256:other' })).toMatch(/inputHash: is "sha256:abc", not the attempt's sha256:other/);
    expect(problem({ ...good, startedAt: '2026-12-01T11:00:00Z' })).toMatch(/finishedAt: before startedAt/);
  });

  it("refuses artifact URIs outside the attempt's own prefix and bucket, naming them", () => {
    const outside = {
      other: 's3://acog-assets/team-b/ep/uid-9/voice/2/narration.wav',
      bucket: 's3://acog-scripts/team-a/ep/uid-1/voice/2/narration.wav',
      earlier: 's3://acog-assets/team-a/ep/uid-1/voice/1/narration.wav',
      up: `${prefix}../../../../../team-b/secret.wav`,
      encoded: `${prefix}%2e%2e/x`,
      empty: `${prefix}a//b`,
      web: 'https://evil.example/x.wav',
    };
    for (const [name, uri] of Object.entries(outside)) {
      const error = problem({ ...good, artifacts: { [name]: uri } });
      expect(error, name).toContain(`artifacts."${name}": ${JSON.stringify(uri)}`);
      expect(error, name).toMatch(/outside|escapes/);
    }
  });

  it('takes the store naming of the local disk', () => {
    const uri = (bucket: string, key: string) => `file:///data/${bucket}/${key}`;
    const local = { ...good, artifacts: { 'narration.wav': 'file:///data/acog-assets/team-a/ep/uid-1/voice/2/narration.wav' } };
    expect(problem(local, { uri })).toBeUndefined();
    expect(problem(good, { uri })).toMatch(/outside/);
  });
});

describe('parseStageResult', () => {
  it('refuses a file larger than the bound, and one that is not JSON', () => {
    const big = new Uint8Array(MAX_RESULT_BYTES + 1).fill(0x20);
    expect((parseStageResult(big, expected) as { error: string }).error).toBe(
      `result.json of voice attempt 2 is invalid: larger than ${MAX_RESULT_BYTES} bytes`,
    );
    expect((parseStageResult(Buffer.from('{"stage":'), expected) as { error: string }).error).toMatch(/is invalid: not JSON/);
    expect(parseStageResult(Buffer.from(JSON.stringify(good)), expected)).toEqual(good);
  });
});
