// Artifact URIs: s3://bucket/key in a cluster, file:///absolute/path on one machine.

export interface ParsedUri {
  scheme: 's3' | 'file';
  bucket: string;
  key: string;
}

export function parseArtifactUri(uri: string): ParsedUri {
  const s3 = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (s3) return { scheme: 's3', bucket: s3[1], key: s3[2] };
  const file = /^file:\/\/(\/.*)$/.exec(uri);
  if (file) return { scheme: 'file', bucket: '', key: decodeURIComponent(file[1]) };
  throw new Error(`not an artifact URI: ${JSON.stringify(uri)} (expected s3://bucket/key or file:///path)`);
}
