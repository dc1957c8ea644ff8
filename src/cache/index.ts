/** The persistent, content-addressed frame cache (issue 3). */
export {
  openFrameCache,
  FrameCache,
  type CacheEntry,
  type CacheWriter,
  type CacheMetrics,
  type PublishInfo,
  type OpenFrameCacheOptions,
} from './store.js';
export { cacheKey, normalizeRecipe, CACHE_SCHEMA_VERSION, type FrameRecipe, type CacheKeyInput } from './key.js';
export { sourceIdentity, type SourceIdentityOptions } from './identity.js';
export { resolveCacheDir, resolveBudget, parseByteSize, DEFAULT_BUDGET_BYTES } from './config.js';
export { CacheError, RemoteSourceError, type CacheErrorKind, type RemoteSourceErrorKind } from './errors.js';
export { fetchRemoteSource, type FetchRemoteOptions } from './remote.js';
/** Shapes of `FrameCache.stats()` and of a GC pass. */
export type { CacheStats, GcResult } from './gc.js';
/** A published entry's manifest (`CacheEntry.manifest`) and its per-frame rows. */
export type { Manifest, ManifestFile } from './manifest.js';
