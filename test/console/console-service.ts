// The chart's console Service in front of a gateway that runs on this machine, so that the plugin
// reaches it through the real API server's service proxy (`pulse send` without --url). The API server refuses to
// proxy to loopback addresses (Endpoints may not hold them) and to addresses no Pod holds, so the
// gateway listens on the machine's own non-loopback address, which a Pod object's status names.
import { networkInterfaces } from 'node:os';
import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import { kubeConfig } from '../support/env.ts';
import { createNamespace } from '../support/kube.ts';

export function machineAddress(): string {
  for (const addresses of Object.values(networkInterfaces()))
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  throw new Error('this machine has no non-loopback IPv4 address for the API server to proxy to');
}

/**
 * Creates, in `namespace` (created here), the console Service with the chart's labels, a Pod object
 * holding `address`, the EndpointSlice and Endpoints naming it at `port` (no kubelet serves the
 * namespace and the controller-manager here runs no endpoint controllers: docs/adr/0027). Who may
 * use the Service's proxy is the cluster's RBAC: the chart grants nobody.
 * `discoverable`: with the chart's label, by which the plugin finds the Service when not told its
 * name; only one test file of a run may have it, or the plugin finds several.
 */
export async function exposeConsoleService(
  namespace: string,
  service: string,
  address: string,
  port: number,
  { discoverable = true } = {},
): Promise<void> {
  const admin = kubeConfig('admin');
  const core = admin.makeApiClient(CoreV1Api);
  await createNamespace(admin, namespace);
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: {
        name: service,
        labels: discoverable
          ? { 'app.kubernetes.io/name': 'acog', 'app.kubernetes.io/component': 'console', 'acog.dev/service': 'api' }
          : { 'app.kubernetes.io/name': 'acog', 'app.kubernetes.io/component': 'console' },
      },
      spec: { ports: [{ name: 'http', port: 80, targetPort: port as never, protocol: 'TCP' }] },
    },
  });
  await core.createNamespacedPod({
    namespace,
    // No scheduler serves this name: the default one would write the Pod's status (Unschedulable:
    // no Node takes it) between the read and the replace below, which would then conflict.
    body: {
      metadata: { name: `${service}-0` },
      spec: { schedulerName: 'acog-test-unscheduled', containers: [{ name: 'console', image: 'acog/console:dev' }] },
    },
  });
  const pod = await core.readNamespacedPod({ namespace, name: `${service}-0` });
  pod.status = { phase: 'Running', podIP: address, podIPs: [{ ip: address }] };
  await core.replaceNamespacedPodStatus({ namespace, name: `${service}-0`, body: pod });
  const podRef = { kind: 'Pod', name: `${service}-0`, namespace };
  await admin.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
    namespace,
    body: {
      metadata: { name: `${service}-0`, labels: { 'kubernetes.io/service-name': service } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [address], conditions: { ready: true }, targetRef: podRef }],
      ports: [{ name: 'http', port, protocol: 'TCP' }],
    },
  });
  await core.createNamespacedEndpoints({
    namespace,
    body: {
      metadata: { name: service },
      subsets: [{ addresses: [{ ip: address, targetRef: podRef }], ports: [{ name: 'http', port, protocol: 'TCP' }] }],
    },
  });
}

export async function removeConsoleService(namespace: string): Promise<void> {
  await kubeConfig('admin')
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name: namespace })
    .catch(() => undefined);
}
