import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRunnerConfig, loadRunnerConfig, stageSettings } from './runner-config.ts';

describe('the runner configuration', () => {
  it('applies defaults', () => {
    const config = checkRunnerConfig({ image: 'acog/runner:dev', storageCredentials: { secretName: 's' } });
    expect(config).toMatchObject({ activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: 86400, env: {}, stages: {} });
    expect(config.storageCredentials).toEqual({
      secretName: 's',
      accessKeyIdKey: 'AWS_ACCESS_KEY_ID',
      secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY',
    });
    expect(stageSettings(config, 'voice')).toEqual({ resources: {}, activeDeadlineSeconds: 3600 });
  });

  it('names every bad field', () => {
    expect(() =>
      checkRunnerConfig({ imagePullPolicy: 'Sometimes', stages: { voise: {} }, ttlSecondsAfterFinished: -1, env: { ACOG_X: 3 } }),
    ).toThrow(
      /(?=.*image)(?=.*imagePullPolicy: must be one of Always, IfNotPresent, Never)(?=.*stages\.voise: unknown field)(?=.*ttlSecondsAfterFinished: must be >= 0)(?=.*env\.ACOG_X: must be string)/,
    );
  });

  it('refuses to let plain settings carry credentials', () => {
    expect(() => checkRunnerConfig({ image: 'x', env: { AWS_SECRET_ACCESS_KEY: 'oops' } })).toThrow(
      /env\.AWS_SECRET_ACCESS_KEY: set by the operator/,
    );
  });

  it('says which file is unreadable or not YAML', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runner-config-'));
    await expect(loadRunnerConfig(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read the runner configuration .*missing\.yaml/);
    await writeFile(join(dir, 'bad.yaml'), 'image: [unclosed');
    await expect(loadRunnerConfig(join(dir, 'bad.yaml'))).rejects.toThrow(/bad\.yaml is not YAML/);
  });
});
