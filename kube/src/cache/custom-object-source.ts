// Where an Informer gets its objects: the watch path and a paged list, for any group and version
// (the custom objects API serves batch and events.k8s.io as well as acog.dev), cluster-wide or in
// one namespace.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { ListPage } from './informer.ts';

export interface CustomObjectSourceOptions {
  group: string;
  version: string;
  plural: string;
  /** One namespace; cluster-wide when absent. */
  namespace?: string;
  labelSelector?: string;
  /** Objects per list page. */
  pageSize?: number;
}

export interface CustomObjectSource<T> {
  path: string;
  labelSelector?: string;
  list: (continueToken: string | undefined) => Promise<ListPage<T>>;
}

export function customObjectSource<T>(custom: CustomObjectsApi, options: CustomObjectSourceOptions): CustomObjectSource<T> {
  const { group, version, plural, namespace, labelSelector } = options;
  const prefix = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  return {
    path: `${prefix}/${namespace ? `namespaces/${namespace}/` : ''}${plural}`,
    labelSelector,
    list: async (continueToken) => {
      const params = { group, version, plural, limit: options.pageSize ?? 500, _continue: continueToken, labelSelector };
      const page = (
        namespace ? await custom.listNamespacedCustomObject({ ...params, namespace }) : await custom.listClusterCustomObject(params)
      ) as { items: T[]; metadata: { resourceVersion: string; continue?: string } };
      return { items: page.items, resourceVersion: page.metadata.resourceVersion, continue: page.metadata.continue };
    },
  };
}
