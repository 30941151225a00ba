// Which URIs a runner may read or write for an episode (DESIGN.md, "Tenancy": nothing of one
// namespace is reachable from another). A Channel or an Episode names URIs — channel images and
// music, a publish destination — and upstream results name artifacts; the runner holds one set of
// storage credentials for every namespace, so the rule lives here, once, and the runners ask it
// before every read and write of such a URI:
//
//   media      (spec.format.images[], spec.format.music.uri: what a stage downloads)
//              s3:// under the namespace's own prefix in ACOG's buckets
//              (s3://acog-assets/<namespace>/…, s3://acog-scripts/<namespace>/…), or https://
//              (the runner then checks the address it resolves to: runners' network policy), or
//              file:// in a local render only (kubectl acog render: the user's own disk).
//   destination (the folder publisher's target, where the files finally go)
//              s3:// under the namespace's own prefix, or file:// in a local render only.
//   artifact   (an upstream stage's output, as its result lists it)
//              s3:// under the episode's own prefix <namespace>/<episode>/<uid>/, or file:// in a
//              local render.
//
// Keys must be plain: no empty, "." or ".." segments and no backslashes, since HTTP clients and
// S3 servers may normalise s3://acog-assets/team-a/../team-b/x into team-b's prefix. Plain http://
// is refused (what it downloads could be changed on the way). Other buckets, and prefixes a
// Channel might declare for shared assets, would need a field in the Channel's schema; until
// then the namespace's prefix is the whole of what a tenant reaches.
import { BUCKETS } from './stage-contract.ts';

export type ArtifactUse = 'media' | 'destination' | 'artifact';

export interface ArtifactScope {
  /** The episode's namespace: the tenant. */
  namespace: string;
  episode: { name: string; uid: string };
  /** The runner works on one machine with the local store (kubectl acog render): file:// URIs are the user's own files. */
  local: boolean;
}

export type ScopeDecision = { allowed: true } | { allowed: false; reason: string };

const ACOG_BUCKETS: readonly string[] = [BUCKETS.assets, BUCKETS.scripts];

function refuse(field: string, uri: string, why: string): ScopeDecision {
  return { allowed: false, reason: `${field}: ${uri} ${why}` };
}

/** Why an S3 key is not a plain path, or undefined when it is. */
function keyProblem(key: string): string | undefined {
  if (key.includes('\\')) return 'has a backslash in its key';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'has a control character in its key';
  const segments = key.split('/');
  // A trailing slash (a prefix) leaves one empty last segment; any other empty segment is refused.
  const inner = segments.at(-1) === '' ? segments.slice(0, -1) : segments;
  if (inner.some((segment) => segment === '' || segment === '.' || segment === '..')) return 'has an empty, "." or ".." segment in its key';
  return undefined;
}

/**
 * Whether `uri`, named by `field` (e.g. "spec.format.music.uri"), may be used as `use` for this
 * episode; a refusal carries one line naming the field, the URI and the prefix it must lie under.
 */
export function artifactScopeDecision(scope: ArtifactScope, use: ArtifactUse, field: string, uri: string): ScopeDecision {
  const namespacePrefix = `${scope.namespace}/`;
  const episodePrefix = `${scope.namespace}/${scope.episode.name}/${scope.episode.uid}/`;
  const required = use === 'artifact' ? episodePrefix : namespacePrefix;
  const what = use === 'artifact' ? "this episode's prefix" : "this namespace's prefix";

  const s3 = /^s3:\/\/([^/]*)\/(.*)$/s.exec(uri);
  if (s3) {
    const [, bucket, key] = s3;
    if (!ACOG_BUCKETS.includes(bucket)) {
      return refuse(
        field,
        uri,
        `is outside ${what}: only ACOG's buckets are reached, under s3://${BUCKETS.assets}/${required} or s3://${BUCKETS.scripts}/${required}`,
      );
    }
    const problem = keyProblem(key);
    if (problem) return refuse(field, uri, `${problem}: refused`);
    if (!key.startsWith(required)) return refuse(field, uri, `is outside ${what} s3://${bucket}/${required}`);
    if (key === required && use !== 'destination') return refuse(field, uri, 'names a folder, not a file');
    return { allowed: true };
  }

  if (/^file:/i.test(uri)) {
    if (scope.local) return /^file:\/\/\//i.test(uri) ? { allowed: true } : refuse(field, uri, 'is not a file:///absolute/path URI');
    return refuse(
      field,
      uri,
      `is a file on the runner: file:// URIs are read only by a local render (kubectl acog render); in a cluster use s3://${BUCKETS.assets}/${namespacePrefix}…`,
    );
  }

  if (use === 'media' && /^https:\/\//i.test(uri)) {
    return URL.canParse(uri) ? { allowed: true } : refuse(field, uri, 'is not a valid URL');
  }
  if (use === 'media' && /^http:\/\//i.test(uri)) return refuse(field, uri, 'is plain http: use https://');

  const allowed =
    use === 'media'
      ? `s3://${BUCKETS.assets}/${namespacePrefix}… or https://`
      : use === 'destination'
        ? `s3://${BUCKETS.assets}/${namespacePrefix}…`
        : `s3://${BUCKETS.assets}/${episodePrefix}…`;
  return refuse(field, uri, `is not a URI the runner may ${use === 'destination' ? 'write' : 'read'}: use ${allowed}`);
}
