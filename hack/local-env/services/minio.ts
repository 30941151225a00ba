import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, httpOk, startProcess, waitUntil, type ManagedProcess } from '../process.ts';

export interface S3Service {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  buckets: string[];
  process: ManagedProcess;
}

/** The buckets of the original design: media, and plans/scripts/metadata. */
export const BUCKETS = ['acog-assets', 'acog-scripts'];

export async function startMinio(minio: string, dir: string): Promise<S3Service> {
  const [port, consolePort] = [await freePort(), await freePort()];
  const accessKeyId = 'acog-local';
  const secretAccessKey = randomBytes(18).toString('base64url');
  const endpoint = `http://127.0.0.1:${port}`;
  const process = startProcess(
    'minio',
    minio,
    ['server', join(dir, 's3'), '--quiet', '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`],
    join(dir, 'minio.log'),
    {
      env: {
        ...globalThis.process.env,
        MINIO_ROOT_USER: accessKeyId,
        MINIO_ROOT_PASSWORD: secretAccessKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CI_CD: 'on',
      },
    },
  );
  await waitUntil('minio', () => httpOk(`${endpoint}/minio/health/ready`), { process, timeoutMs: 60_000 });
  const region = 'us-east-1';
  const s3 = new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
  try {
    for (const bucket of BUCKETS) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    s3.destroy();
  }
  return { endpoint, region, accessKeyId, secretAccessKey, buckets: BUCKETS, process };
}
