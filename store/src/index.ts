// @acog/store: the artifact store interface, artifact URIs and content types. The implementations
// are their own entry points, so that code using one does not load the other's SDK:
// `@acog/store/s3` (S3, MinIO) and `@acog/store/local` (the local disk, for `kubectl acog render`).
export { ArtifactNotFoundError, type ArtifactStore } from './types.ts';
export { parseArtifactUri, type ParsedUri } from './uri.ts';
export { contentTypeOf } from './content-types.ts';
