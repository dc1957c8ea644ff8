/**
 * framesmith's public API: render a composition (`render`), many (`renderBatch`), or one chunk of a
 * distributed render (`renderChunk`, `startChunkWorker`); extract exact video frames (`extractVideos`);
 * the frame cache, probing, and the one error type. Every name is documented where it is defined.
 * The package's other modules are reachable as `framesmith/internal`, with no stability promise.
 */
export { render, defaultOutputPath } from './render.js';
export type { RenderOptions, RenderResult, RenderProgress } from './render/types.js';
export type { OutputFormat } from './stages/stage.js';
export type { Quality } from './encode/video-args.js';
export { RenderError, type RenderErrorCode } from './render/errors.js';
export { renderBatch, BatchError, type BatchOptions, type BatchManifest } from './batch.js';
export { closeIdleBrowsers } from './browser/pool.js';
export { extractVideos, type ExtractCallOptions } from './extract/extract.js';
export type { VideoRequest, ExtractResult } from './extract/types.js';
export { ExtractError } from './extract/errors.js';
export { probeMedia, type MediaInfo } from './media/probe.js';
export { openFrameCache, FrameCache } from './cache/index.js';
export { renderChunk, type ChunkOptions } from './render/chunk.js';
export { startChunkWorker, type ChunkWorker, type ChunkWorkerOptions } from './distributed/worker.js';
export { openStorage, type RenderStorage } from './storage/storage.js';
export { prunePlans } from './storage/prune.js';
export { FramesmithError, hasCode } from './errors.js';
export { ERROR_CODES, type ErrorCode } from './error-codes.js';
export type { RenderWarning, StrictSetting } from './warnings.js';
