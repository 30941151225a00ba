import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, run, startProcess, waitUntil, type ManagedProcess } from '../process.ts';

/** The users of the local cluster. Their RBAC comes from hack/local-env/rbac.yaml. */
export const USERS = {
  admin: { name: 'acog-admin', groups: ['system:masters'] },
  editor: { name: 'acog-editor', groups: ['acog:editors'] },
  viewer: { name: 'acog-viewer', groups: ['acog:viewers'] },
} as const;
export type UserRole = keyof typeof USERS;

/** The control plane's own components, as the users Kubernetes' bootstrap RBAC grants their roles to. */
const COMPONENTS = {
  controllerManager: 'system:kube-controller-manager',
  scheduler: 'system:kube-scheduler',
} as const;
export type Component = keyof typeof COMPONENTS;

export interface KubeApiserverService {
  server: string;
  caFile: string;
  caData: string;
  /** Bearer tokens of the users in USERS. */
  tokens: Record<UserRole, string>;
  /** A kubeconfig per user (context names: the roles), admin's context current. */
  kubeconfig: string;
  serviceAccountIssuer: string;
  /** The key that signs ServiceAccount tokens (the controller-manager's token controller needs it). */
  serviceAccountKeyFile: string;
  /** A kubeconfig per control-plane component, with that component's own identity. */
  componentKubeconfigs: Record<Component, string>;
  process: ManagedProcess;
}

/** A context of the local kubeconfig: a user with a token (the role's name) or with a client certificate (ROLE-cert). */
export type KubeContext = UserRole | `${UserRole}-cert`;

/** The kubeconfig context of a user who authenticates with a client certificate instead of a token. */
export function certificateContext(role: UserRole): `${UserRole}-cert` {
  return `${role}-cert`;
}

/** A CA and a serving certificate for 127.0.0.1 and localhost, made with openssl. */
async function servingCertificate(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const ca = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  const cert = join(dir, 'apiserver.crt');
  const key = join(dir, 'apiserver.key');
  const csr = join(dir, 'apiserver.csr');
  const ext = join(dir, 'apiserver.ext');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    ca,
    '-days',
    '30',
    '-subj',
    '/CN=acog-local-ca',
  ]);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=kube-apiserver']);
  await writeFile(
    ext,
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n',
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '30',
    '-extfile',
    ext,
  ]);
  return { ca, cert, key };
}

/**
 * A certificate signed by a CA of servingCertificate's kind: a client certificate (CN the user, O
 * the groups, as the API server reads them) or the aggregator's front-proxy client.
 */
async function clientCertificate(
  dir: string,
  ca: { cert: string; key: string },
  file: string,
  commonName: string,
  organizations: readonly string[] = [],
): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${file}.crt`);
  const key = join(dir, `${file}.key`);
  const csr = join(dir, `${file}.csr`);
  const ext = join(dir, `${file}.ext`);
  const subject = `/CN=${commonName}${organizations.map((group) => `/O=${group}`).join('')}`;
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  await writeFile(ext, 'extendedKeyUsage=clientAuth\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '30',
    '-extfile',
    ext,
  ]);
  return { cert, key };
}

/** The front-proxy CA, separate from the cluster CA as kubeadm's: what it signs is believed only for X-Remote-* headers. */
async function frontProxyCa(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'front-proxy-ca.crt');
  const key = join(dir, 'front-proxy-ca.key');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '30',
    '-subj',
    '/CN=acog-front-proxy-ca',
  ]);
  return { cert, key };
}

/** The name in the aggregator's client certificate, as --requestheader-allowed-names lists it. */
export const FRONT_PROXY_CLIENT = 'front-proxy-client';

function readyz(server: string, ca: string, token: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(`${server}/readyz`, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

export async function startKubeApiserver(kubeApiserver: string, etcdUrl: string, dir: string): Promise<KubeApiserverService> {
  const pki = join(dir, 'pki');
  await mkdir(pki, { recursive: true });
  const { ca, cert, key } = await servingCertificate(pki);
  const clusterCa = { cert: ca, key: join(pki, 'ca.key') };
  // The aggregation layer (APIServices, e.g. the console's history.acog.dev): the API server
  // authenticates the user and passes them on as X-Remote-* headers over this client certificate.
  const frontProxy = await frontProxyCa(pki);
  const proxyClient = await clientCertificate(pki, frontProxy, 'front-proxy-client', FRONT_PROXY_CLIENT);
  // Users who sign in with a client certificate (as kind's and kubeadm's admin.conf do), beside the tokens.
  const userCertificates = Object.fromEntries(
    await Promise.all(
      Object.entries(USERS).map(async ([role, user]) => [
        role,
        await clientCertificate(pki, clusterCa, `user-${role}`, user.name, user.groups),
      ]),
    ),
  ) as Record<UserRole, { cert: string; key: string }>;

  const serviceAccount = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const saKey = join(pki, 'sa.key');
  const saPub = join(pki, 'sa.pub');
  await writeFile(saKey, serviceAccount.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(saPub, serviceAccount.publicKey.export({ type: 'spki', format: 'pem' }));

  const tokens = Object.fromEntries(Object.keys(USERS).map((role) => [role, randomBytes(24).toString('base64url')])) as Record<
    UserRole,
    string
  >;
  const componentTokens = Object.fromEntries(Object.keys(COMPONENTS).map((c) => [c, randomBytes(24).toString('base64url')])) as Record<
    Component,
    string
  >;
  const tokenFile = join(pki, 'tokens.csv');
  await writeFile(
    tokenFile,
    [
      ...Object.entries(USERS).map(([role, user]) => `${tokens[role as UserRole]},${user.name},${user.name},"${user.groups.join(',')}"`),
      ...Object.entries(COMPONENTS).map(([component, user]) => `${componentTokens[component as Component]},${user},${user}`),
    ].join('\n') + '\n',
    { mode: 0o600 },
  );

  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';
  const apiserver = startProcess(
    'kube-apiserver',
    kubeApiserver,
    [
      `--etcd-servers=${etcdUrl}`,
      `--etcd-prefix=/acog-${randomBytes(4).toString('hex')}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The kubernetes Service's endpoints may not point at loopback; nothing here needs them.
      '--endpoint-reconciler-type=none',
      // ConfigMaps are watched from etcd, not the watch cache, so that a test can provoke 410 Gone
      // by compacting etcd's history (the cache would keep serving old resourceVersions).
      '--watch-cache-sizes=configmaps#0',
      `--secure-port=${port}`,
      `--tls-cert-file=${cert}`,
      `--tls-private-key-file=${key}`,
      `--client-ca-file=${ca}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      '--anonymous-auth=false',
      `--service-account-issuer=${serviceAccountIssuer}`,
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      '--api-audiences=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--allow-privileged=true',
      '--profiling=false',
      '--enable-priority-and-fairness=false',
      // The node harness's Nodes are tainted and labelled per namespace; these two plugins give a
      // namespace's Pods the matching nodeSelector and toleration from the namespace's annotations,
      // so that each namespace's Pods run on the harness of that namespace (docs/adr/0027).
      '--enable-admission-plugins=PodNodeSelector,PodTolerationRestriction',
      // No node lifecycle controller runs here to lift the not-ready taint this plugin puts on every
      // new Node; the harness registers its Nodes Ready.
      '--disable-admission-plugins=TaintNodesByCondition',
      `--requestheader-client-ca-file=${frontProxy.cert}`,
      `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${proxyClient.cert}`,
      `--proxy-client-key-file=${proxyClient.key}`,
      // No kube-proxy here: the aggregator dials an APIService's endpoint, not its Service's cluster IP.
      '--enable-aggregator-routing=true',
      `--cert-dir=${pki}`,
      '--v=1',
    ],
    join(dir, 'kube-apiserver.log'),
  );

  const caData = await readFile(ca, 'utf8');
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'acog-local', cluster: { server, 'certificate-authority-data': Buffer.from(caData).toString('base64') } }],
      users: [
        ...Object.keys(USERS).map((role) => ({ name: role, user: { token: tokens[role as UserRole] } })),
        ...(Object.keys(USERS) as UserRole[]).map((role) => ({
          name: certificateContext(role),
          user: { 'client-certificate': userCertificates[role].cert, 'client-key': userCertificates[role].key },
        })),
      ],
      contexts: [...Object.keys(USERS), ...(Object.keys(USERS) as UserRole[]).map(certificateContext)].map((name) => ({
        name,
        context: { cluster: 'acog-local', user: name, namespace: 'default' },
      })),
      'current-context': 'admin',
    }),
    { mode: 0o600 },
  );

  const cluster = { name: 'acog-local', cluster: { server, 'certificate-authority-data': Buffer.from(caData).toString('base64') } };
  const componentKubeconfigs = {} as Record<Component, string>;
  for (const component of Object.keys(COMPONENTS) as Component[]) {
    componentKubeconfigs[component] = join(pki, `${component}.kubeconfig`);
    await writeFile(
      componentKubeconfigs[component],
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [cluster],
        users: [{ name: component, user: { token: componentTokens[component] } }],
        contexts: [{ name: component, context: { cluster: 'acog-local', user: component } }],
        'current-context': component,
      }),
      { mode: 0o600 },
    );
  }

  await waitUntil('kube-apiserver', () => readyz(server, caData, tokens.admin), {
    process: apiserver,
    timeoutMs: 120_000,
    intervalMs: 500,
  });
  return {
    server,
    caFile: ca,
    caData,
    tokens,
    kubeconfig,
    serviceAccountIssuer,
    serviceAccountKeyFile: saKey,
    componentKubeconfigs,
    process: apiserver,
  };
}
