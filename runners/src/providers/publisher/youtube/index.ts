// Publishes the finished video to YouTube. OAuth2 and the metadata calls go through googleapis; the
// upload itself speaks the resumable protocol by hand (googleapis would send one multipart request):
// a session URI kept in the episode's state, 256 KiB-aligned chunks streamed from disk, 308 + Range to
// continue, a status query after an interruption. A video id, once known, is kept too, so a repeated
// stage finds its video again and never uploads a second one.
export {
  googleErrorInfo,
  nextQuotaReset,
  QUOTA_UNITS,
  UPLOAD_QUOTA,
  YouTubeError,
  youtubeFailure,
  type FailureContext,
  type GoogleErrorInfo,
} from './errors.ts';
export {
  DEFAULT_CHUNK_BYTES,
  isOwnSessionUri,
  receivedFromRange,
  STATE_UPLOAD,
  STATE_VIDEO_ID,
  UPLOAD_CHUNK_GRANULARITY,
  videoContentType,
} from './resumable-upload.ts';
export { videoMatches, videoResource, videoSettings, type VideoSettings } from './video-resource.ts';
export {
  createYouTubePublisher,
  imageContentType,
  STATE_FINISHING,
  THUMBNAIL_MAX_BYTES,
  YouTubePublisher,
  type YouTubePublisherOptions,
} from './publisher.ts';
