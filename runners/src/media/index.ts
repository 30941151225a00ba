// @acog/runners/media: the ffmpeg layer (probing, loudness, the one-pass assembly and its filter
// graph, synthetic inputs for tests and benchmarks), without the providers.
export {
  FfmpegError,
  guardInputs,
  MediaRefusedError,
  probe,
  runFfmpeg,
  type FfmpegProgress,
  type ProbedStream,
  type ProbeResult,
  type RunOptions,
} from './ffmpeg.ts';
export { measureLoudness, YOUTUBE_LOUDNESS, type LoudnessMeasurement, type LoudnessTarget } from './loudness.ts';
export {
  assembleEpisode,
  AssembleInputError,
  type AssembleInput,
  type AssembleOptions,
  type AssembleOutput,
  type AssemblePhase,
  type AssembleProgress,
} from './assemble.ts';
export { audioEncodeOptions, buildMuxArgs, picturePartsList, videoEncodeOptions, type FrameRange } from './filter-graph.ts';
export type { AspectRatio, ChannelFormat, FrameSize, Layout } from './frame.ts';
export { makeSyntheticEpisode, type SyntheticClip, type SyntheticEpisode, type SyntheticEpisodeSpec } from './synthetic.ts';
