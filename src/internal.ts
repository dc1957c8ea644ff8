/**
 * Everything the package's modules export for its own tools — the bench (bench/lib/framesmith.js), the
 * tests — as `framesmith/internal`. Not the public API (src/index.ts): these names may change in any
 * release.
 */
export * from './index.js';
export { parseRational, formatRational, type Rational } from './media/rational.js';
export { ProcessError, killAllChildren } from './media/process.js';
export { getTools, ToolUnavailableError } from './media/tools.js';
export { extractVideos, type ExtractCallOptions, type ExtractProgress } from './extract/extract.js';
export { ExtractError, ExtractOptionsError } from './extract/errors.js';
export { FrameLookupTable, type FrameLookupOptions } from './extract/lookup.js';
export { runExtractionPass, passStats, type PassResult, type PassOptions } from './extract/pass.js';
export { planVideo, planKeyFields, type ExtractionPlan } from './extract/plan.js';
export { planRecipe, planCacheKey, planVariant, ENGINE_RECIPE_VERSION } from './extract/recipe.js';
export { planSupersets, gridOffset, GRID_EPSILON, type SupersetGroup, type SupersetCandidate } from './extract/superset.js';
export { probeMedia, ProbeError, type MediaInfo } from './media/probe.js';
export type {
  VideoRequest,
  ExtractOptions,
  ExtractResult,
  ExtractedVideo,
  ExtractErrorInfo,
  ExtractErrorKind,
  ExtractMetrics,
  FrameFormat,
  FormatChoice,
  ColorTarget,
} from './extract/types.js';
export {
  openFrameCache,
  FrameCache,
  cacheKey,
  sourceIdentity,
  fetchRemoteSource,
  CacheError,
  RemoteSourceError,
  CACHE_SCHEMA_VERSION,
  DEFAULT_BUDGET_BYTES,
  type CacheEntry,
  type CacheWriter,
  type CacheMetrics,
  type FrameRecipe,
  type CacheStats,
  type GcResult,
  type FetchRemoteOptions,
} from './cache/index.js';
export { parseComposition, loadDocument, VariablesError, type ParseCompositionOptions, type LoadOptions } from './load/index.js';
export { CompositionError, type CompositionErrorCode } from './composition/errors.js';
export type { Composition, TimedElement, MediaElement, NestedComposition } from './composition/model.js';
export { startProjectServer, type ProjectServer } from './browser/server.js';
export { runtimeScript, runtimeConfigFor, mediaGuardSource, type RuntimeConfig, type RuntimeTimed } from './browser/runtime-config.js';
export { AudioError, type AudioErrorCode } from './media/errors.js';
export { mixAudio, audioTracksFromMedia, type AudioTrack, type MixOptions, type MixResult } from './encode/audio.js';
export { muxAudio, MuxError, MUX_LENGTH_TOLERANCE_S, type MuxErrorCode, type MuxOptions, type MuxResult } from './encode/mux.js';
export {
  render,
  RenderError,
  defaultOutputPath,
  GSAP_URL_PREFIX,
  type RenderOptions,
  type RenderResult,
  type RenderProgress,
  type RenderErrorCode,
  type OutputFormat,
  type Quality,
} from './render.js';
export {
  renderBatch,
  checkBatchVariables,
  prepareBatch,
  prepareBatchFile,
  parseBatchRows,
  fillOutputTemplate,
  defaultBatchTemplate,
  BatchError,
  type BatchOptions,
  type BatchManifest,
  type BatchManifestRow,
  type BatchRow,
  type BatchRowStatus,
  type PreparedBatch,
} from './batch.js';
export {
  launchBrowser,
  resolveBrowser,
  browserFlags,
  BrowserError,
  type BrowserInfo,
  type BrowserSource,
  type CaptureMode,
  type LaunchedBrowser,
  type ResolvedBrowser,
} from './browser/launch.js';
export { bundledBrowser, type BundledBrowser } from './browser/bundled.js';
export { leaseBrowser, keepBrowsersMs, KEEP_BROWSERS_ENV } from './browser/pool.js';
export {
  startVideoEncoder,
  encoderArgs,
  evenSize,
  pngFrameName,
  hfFrameName,
  EncodeError,
  QUALITY_PRESETS,
  type VideoEncoderOptions,
  type VideoFormat,
} from './encode/video.js';
export type { VideoEncoder } from './encode/encoder.js';
export { CaptureError, type CaptureErrorCode } from './capture/errors.js';
export { combineHooks, type CaptureHooks } from './capture/hooks.js';
export type { RenderStage, StageContext } from './stages/stage.js';
export { MEDIA_WARNING_CODES, type StrictSetting } from './warnings.js';
export { probeBrowser, type BrowserProbe } from './capture/probe.js';
export { defaultWorkers } from './capture/worker-count.js';
export { mediaStages, type MediaStagesOptions } from './stages/media-stages.js';
export {
  videoFramesStage,
  DECODED_BUDGET_BYTES,
  type VideoFramesOptions,
  type VideoFramesStats,
  type VideoFramesStage,
} from './stages/video-frames.js';
export { drawnSize } from './stages/video-placement.js';
export {
  AUTO_DECODES_IN_PAGE,
  DECODE_LOOKAHEAD,
  VIDEO_DECODE_MODES,
  choosePageDecode,
  decodeChoice,
  decodedVideo,
  mediaTargetAt,
  pageDecodeRefusal,
  pageDecoder,
  type DecodeChoice,
  type DecodedVideo,
  type PageDecodePlan,
  type PageDecodeStats,
  type VideoDecodeMode,
} from './stages/page-decode.js';
export { FrameUrls, HTTP_MIN_BYTES, type FrameTransport } from './stages/video-transport.js';
export { audioStage, type AudioStage, type AudioStageStats } from './stages/audio.js';
export { MediaError, mediaError, type MediaErrorCode, type MediaFailure } from './media/errors.js';
export { mediaDuration, mediaHasAudio, completeMediaWindows } from './load/media.js';
export { FramesmithError, hasCode, type ErrorFields, type FramesmithErrorOptions } from './errors.js';
export { ERROR_CODES, isErrorCode, type ErrorCode } from './error-codes.js';
export { renderChunk, type ChunkOptions } from './render/chunk.js';
export {
  chunkKey,
  rangeKey,
  renderKey,
  renderPrint,
  withRangeHistory,
  wholeRenderHit,
  FramePrints,
  INCREMENTAL_VERSION,
  RANGE_HISTORY,
} from './render/incremental.js';
export { SegmentStore } from './cache/segments.js';
export { planRender, type PlannedRender } from './render/plan.js';
export { resolveRenderOptions } from './render/options.js';
export { chunkVideos, type ChunkVideosOptions } from './render/chunk-frames.js';
export {
  obtainFrames,
  sharedFramesStats,
  CLAIM_TIMINGS,
  type ClaimTimings,
  type SharedFramesStats,
  type SharedRecipe,
} from './extract/shared-frames.js';
export { WINDOW_SLOTS, windowKey, windowSlots, windowsOf, decodeSlots, freezeRecipe, thawRecipe } from './extract/windows.js';
export { openStorage, DirectoryStorage, type RenderStorage } from './storage/storage.js';
export { StorageError, type StorageErrorCode } from './storage/errors.js';
export { prunePlans, parseAge, type PruneOptions, type PruneResult } from './storage/prune.js';
export { splitChunks, DEFAULT_CHUNK_FRAMES, type ChunkJob, type ChunkResult } from './plan/chunks.js';
export { openPlan, type OpenedPlan } from './plan/read.js';
export { PlanError, type PlanErrorCode } from './plan/errors.js';
export type { RenderPlan } from './plan/types.js';
export { startChunkWorker, type ChunkWorker, type ChunkWorkerOptions, type ChunkProcessor } from './distributed/worker.js';
export { runChunksOnQueue, ChunkFailedError } from './distributed/queue.js';
export { DistributedError, type DistributedErrorCode } from './distributed/errors.js';
export { failsForGood, COMPOSITION_FAULTS, PERMANENT_FAULTS } from './distributed/failures.js';
