// Vitest global setup: one local control plane for the whole run (hack/local-env).
// A test that needs a server gets it from here; when a server cannot start, the run fails.
import type { TestProject } from 'vitest/node';
import { envVars, startLocalEnv, type LocalEnvInfo } from '@acog/hack/local-env';

declare module 'vitest' {
  export interface ProvidedContext {
    localEnv: LocalEnvInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = await startLocalEnv();
  const { stop, ...info } = env;
  project.provide('localEnv', info);
  // Workers start after this and inherit these: KUBECONFIG, DOCKER_HOST, TESTCONTAINERS_RYUK_DISABLED, ...
  Object.assign(process.env, envVars(info));
  return stop;
}
