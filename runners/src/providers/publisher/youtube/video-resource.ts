// The video resource YouTube is sent: snippet and status, the privacy and a scheduled release, the
// synthetic-media declaration; and whether a video already uploaded carries it.
import type { youtube_v3 } from 'googleapis';
import type { EpisodeSpec, PublisherProvider } from '@acog/api';
import { youtubeTags, youtubeTitle } from '../description.ts';
import type { PublishRequest } from '../types.ts';
import { AUDIT_FORM } from './errors.ts';

export type VideoResource = youtube_v3.Schema$Video;

export interface VideoSettings {
  privacyStatus: 'public' | 'unlisted' | 'private';
  publishAt?: string;
}

/** A scheduled release is uploaded private with publishAt; a release time already past publishes at once. */
export function videoSettings(publish: EpisodeSpec['publish'], now: Date): VideoSettings {
  const at = publish?.at ? Date.parse(publish.at) : Number.NaN;
  if (Number.isFinite(at) && at > now.getTime()) return { privacyStatus: 'private', publishAt: new Date(at).toISOString() };
  if (Number.isFinite(at)) return { privacyStatus: publish?.privacy ?? 'public' };
  return { privacyStatus: publish?.privacy ?? 'private' };
}

/** The video resource sent with the upload (and with updates of a video uploaded before). */
export function videoResource(
  spec: PublisherProvider,
  episode: EpisodeSpec,
  request: PublishRequest,
  description: string,
  now: Date,
): VideoResource {
  const settings = videoSettings(episode.publish, now);
  const language = request.metadata.language;
  return {
    snippet: {
      title: youtubeTitle(request.metadata.title),
      description,
      tags: youtubeTags(request.metadata.tags),
      categoryId: spec.categoryId ?? '27',
      defaultLanguage: language,
      defaultAudioLanguage: language,
    },
    status: {
      privacyStatus: settings.privacyStatus,
      ...(settings.publishAt ? { publishAt: settings.publishAt } : {}),
      selfDeclaredMadeForKids: spec.madeForKids ?? false,
      containsSyntheticMedia: spec.containsSyntheticMedia ?? true,
    },
  };
}

function sameStrings(a: string[] | null | undefined, b: string[] | null | undefined): boolean {
  return (a ?? []).join('\u0000') === (b ?? []).join('\u0000');
}

function sameTime(a: string | null | undefined, b: string | null | undefined): boolean {
  return (a ? Date.parse(a) : undefined) === (b ? Date.parse(b) : undefined);
}

/** Whether a video on YouTube already carries the wanted snippet and status. */
export function videoMatches(current: VideoResource, wanted: VideoResource): boolean {
  const [have, want] = [current.snippet ?? {}, wanted.snippet ?? {}];
  const [haveStatus, wantStatus] = [current.status ?? {}, wanted.status ?? {}];
  return (
    have.title === want.title &&
    (have.description ?? '') === (want.description ?? '') &&
    sameStrings(have.tags, want.tags) &&
    have.categoryId === want.categoryId &&
    have.defaultLanguage === want.defaultLanguage &&
    have.defaultAudioLanguage === want.defaultAudioLanguage &&
    haveStatus.privacyStatus === wantStatus.privacyStatus &&
    sameTime(haveStatus.publishAt, wantStatus.publishAt) &&
    Boolean(haveStatus.selfDeclaredMadeForKids) === Boolean(wantStatus.selfDeclaredMadeForKids) &&
    Boolean(haveStatus.containsSyntheticMedia) === Boolean(wantStatus.containsSyntheticMedia)
  );
}

export function unauditedNote(wanted: string): string {
  return (
    `YouTube keeps the video private although ${wanted} was asked for: the video was uploaded private because the API project is unaudited ` +
    `(videos uploaded through unaudited API projects stay private). Request an audit (${AUDIT_FORM}), then change the privacy in YouTube Studio.`
  );
}
