// Reads the kubeconfig as kubectl does: --kubeconfig, else $KUBECONFIG (a list of files), else
// ~/.kube/config; --context picks the context; -n, else the context's namespace, else default.
import { KubeConfig } from '@kubernetes/client-node';

export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
}

export interface Connection {
  kc: KubeConfig;
  /** The namespace commands act in (ignored for lists with -A). */
  namespace: string;
  allNamespaces: boolean;
  /** The user the kubeconfig authenticates as, for messages. */
  user: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function connect(flags: ConnectionFlags, env: Record<string, string | undefined> = process.env): Connection {
  const kc = new KubeConfig();
  try {
    if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
    else if (env.KUBECONFIG) {
      const files = env.KUBECONFIG.split(':').filter(Boolean);
      kc.loadFromFile(files[0]);
      for (const file of files.slice(1)) {
        const extra = new KubeConfig();
        extra.loadFromFile(file);
        kc.mergeConfig(extra);
      }
    } else kc.loadFromDefault();
  } catch (error) {
    throw new ConfigError(
      `cannot read the kubeconfig (${flags.kubeconfig ?? env.KUBECONFIG ?? '~/.kube/config'}): ${(error as Error).message}`,
    );
  }
  if (flags.context) {
    if (!kc.getContextObject(flags.context)) {
      const known =
        kc
          .getContexts()
          .map((c) => c.name)
          .join(', ') || 'none';
      throw new ConfigError(`context "${flags.context}" is not in the kubeconfig (contexts: ${known})`);
    }
    kc.setCurrentContext(flags.context);
  }
  const context = kc.getContextObject(kc.getCurrentContext());
  if (!context || !kc.getCurrentCluster()) {
    throw new ConfigError('the kubeconfig names no current context: pass --context, or set one with kubectl config use-context');
  }
  return {
    kc,
    namespace: flags.namespace ?? context.namespace ?? 'default',
    allNamespaces: Boolean(flags.allNamespaces),
    user: context.user,
  };
}
