import { describe, expect, it } from 'vitest';
import { artifactScopeDecision, type ArtifactScope } from './artifact-scope.ts';

const cluster: ArtifactScope = { namespace: 'team-a', episode: { name: 'ep', uid: 'u-1' }, local: false };
const local: ArtifactScope = { ...cluster, local: true };

const reason = (scope: ArtifactScope, use: Parameters<typeof artifactScopeDecision>[1], field: string, uri: string) => {
  const decision = artifactScopeDecision(scope, use, field, uri);
  return decision.allowed ? 'allowed' : decision.reason;
};

describe('artifactScopeDecision', () => {
  it("allows media under the namespace's own prefix in ACOG's buckets, and https", () => {
    expect(reason(cluster, 'media', 'spec.format.images[0]', 's3://acog-assets/team-a/logo.png')).toBe('allowed');
    expect(reason(cluster, 'media', 'spec.format.music.uri', 's3://acog-scripts/team-a/shared/music.mp3')).toBe('allowed');
    expect(reason(cluster, 'media', 'spec.format.music.uri', 's3://acog-assets/team-a/other-ep/uid/voice/1/narration.wav')).toBe('allowed');
    expect(reason(cluster, 'media', 'spec.format.images[1]', 'https://cdn.example.com/presenter.jpg')).toBe('allowed');
  });

  it("refuses another namespace's media, naming the field and the prefix", () => {
    expect(reason(cluster, 'media', 'spec.format.music.uri', 's3://acog-assets/team-b/music.mp3')).toBe(
      "spec.format.music.uri: s3://acog-assets/team-b/music.mp3 is outside this namespace's prefix s3://acog-assets/team-a/",
    );
    // A namespace whose name starts like ours is another namespace.
    expect(reason(cluster, 'media', 'spec.format.images[0]', 's3://acog-assets/team-ab/logo.png')).toMatch(
      /outside this namespace's prefix/,
    );
    expect(reason(cluster, 'media', 'spec.format.images[0]', 's3://acog-assets/team-a')).toMatch(/outside this namespace's prefix/);
    expect(reason(cluster, 'media', 'spec.format.images[0]', 's3://acog-assets/published/team-a/logo.png')).toMatch(
      /outside this namespace's prefix s3:\/\/acog-assets\/team-a\/$/,
    );
    expect(reason(cluster, 'media', 'spec.format.images[0]', 's3://customer-bucket/team-a/logo.png')).toBe(
      "spec.format.images[0]: s3://customer-bucket/team-a/logo.png is outside this namespace's prefix: only ACOG's buckets are reached, under s3://acog-assets/team-a/ or s3://acog-scripts/team-a/",
    );
  });

  it('refuses keys that climb out of the prefix or are not plain', () => {
    for (const uri of [
      's3://acog-assets/team-a/../team-b/music.mp3',
      's3://acog-assets/team-a/./music.mp3',
      's3://acog-assets/team-a//music.mp3',
      's3://acog-assets/team-a/..\\team-b\\music.mp3',
      's3://acog-assets/team-a/music\n.mp3',
    ]) {
      expect(reason(cluster, 'media', 'spec.format.music.uri', uri)).toMatch(
        /^spec\.format\.music\.uri: .* (segment|backslash|control character).*: refused$/s,
      );
    }
    expect(reason(cluster, 'media', 'spec.format.music.uri', 's3://acog-assets/team-a/')).toMatch(/names a folder/);
  });

  it('reads file:// only in a local render, and never plain http or other schemes', () => {
    expect(reason(cluster, 'media', 'spec.format.images[0]', 'file:///etc/passwd')).toBe(
      'spec.format.images[0]: file:///etc/passwd is a file on the runner: file:// URIs are read only by a local render (kubectl acog render); in a cluster use s3://acog-assets/team-a/…',
    );
    expect(reason(local, 'media', 'spec.format.images[0]', 'file:///home/me/logo.png')).toBe('allowed');
    expect(reason(local, 'media', 'spec.format.images[0]', 'file://host/logo.png')).toMatch(/not a file:\/\/\/absolute\/path/);
    expect(reason(cluster, 'media', 'spec.format.music.uri', 'http://cdn.example.com/music.mp3')).toBe(
      'spec.format.music.uri: http://cdn.example.com/music.mp3 is plain http: use https://',
    );
    expect(reason(cluster, 'media', 'spec.format.music.uri', 'gopher://x/y')).toMatch(/is not a URI the runner may read/);
    expect(reason(cluster, 'media', 'spec.format.music.uri', '/etc/passwd')).toMatch(/is not a URI the runner may read/);
  });

  it("lets the publisher write only under the namespace's prefix, or to a local folder in a render", () => {
    const field = 'spec.providers.publisher.destination';
    expect(reason(cluster, 'destination', field, 's3://acog-assets/team-a/published/ep/')).toBe('allowed');
    expect(reason(cluster, 'destination', field, 's3://acog-assets/team-b/x/team-a/ep/')).toBe(
      `${field}: s3://acog-assets/team-b/x/team-a/ep/ is outside this namespace's prefix s3://acog-assets/team-a/`,
    );
    expect(reason(cluster, 'destination', field, 'file:///srv/videos/team-a/ep/')).toMatch(/read only by a local render/);
    expect(reason(local, 'destination', field, 'file:///home/me/out/ep/')).toBe('allowed');
    expect(reason(cluster, 'destination', field, 'https://uploads.example.com/')).toMatch(/is not a URI the runner may write/);
  });

  it("reads upstream artifacts only under the episode's own prefix", () => {
    const field = 'upstream.voice.artifacts.narration.wav';
    expect(reason(cluster, 'artifact', field, 's3://acog-assets/team-a/ep/u-1/voice/1/narration.wav')).toBe('allowed');
    expect(reason(cluster, 'artifact', field, 's3://acog-assets/team-a/other/u-2/voice/1/narration.wav')).toBe(
      `${field}: s3://acog-assets/team-a/other/u-2/voice/1/narration.wav is outside this episode's prefix s3://acog-assets/team-a/ep/u-1/`,
    );
    expect(reason(cluster, 'artifact', field, 'https://example.com/narration.wav')).toMatch(/is not a URI the runner may read/);
  });
});
