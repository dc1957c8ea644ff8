/**
 * Every code a framesmith error can carry, in one list. Each error class's code type is a subset of
 * `ErrorCode` (FramesmithError's `Code` parameter is bounded by it), so a code is spelled once and
 * means the same wherever it appears: a render re-throws a layer's error with the layer's code
 * (src/render/errors.ts), and the CLI decides the exit status from the code alone
 * (src/cli/exit-codes.ts). Cancellation is `cancelled` everywhere.
 */
export const ERROR_CODES = [
  // Anywhere: the caller's AbortSignal fired, or the user interrupted.
  'cancelled',
  // Options and command lines (usage errors).
  'usage',
  'invalid_option',
  'invalid_variables',
  'invalid_batch',
  'invalid_range',
  'invalid_request',
  'invalid_input',
  'invalid_config',
  // The composition's HTML (src/composition/errors.ts).
  'no_index_html',
  'no_root',
  'invalid_timing',
  'unknown_reference',
  'cyclic_reference',
  'invalid_fps',
  'invalid_size',
  'no_duration',
  'sub_composition_missing',
  'sub_composition_invalid',
  'sub_composition_cycle',
  'invalid_audio',
  'remote_asset',
  'limit_exceeded',
  'outside_project',
  // Media files and the media stages.
  'media_missing',
  'media_invalid',
  'media_failed',
  'source_missing',
  'invalid_media',
  'no_audio_stream',
  'missing',
  'not_media',
  'no_video',
  'media_start_out_of_range',
  'zero_output',
  'length_mismatch',
  // Child processes and tools (src/media/process.ts, src/media/tools.ts).
  'spawn',
  'exit',
  'timeout',
  'tool_unavailable',
  'ffmpeg_unavailable',
  'ffmpeg_failed',
  'ffmpeg_timeout',
  'encode',
  // The frame cache and remote sources.
  'invalid_recipe',
  'invalid_frames',
  'source_unreadable',
  'source_changing',
  'publish_failed',
  'write_failed',
  'invalid_url',
  'insecure_scheme',
  'private_host',
  'dns_failed',
  'http_status',
  'too_many_redirects',
  'network',
  // The browser and the page.
  'browser',
  'page_error',
  'request_failed',
  'browser_crashed',
  'capture_failed',
  'webgl_unavailable',
  'webgpu_unavailable',
  // The render's output and run.
  'strict',
  'stage',
  'internal',
  'output_refused',
  'output_unwritable',
  'disk_full',
  // Planned and distributed renders, their storage.
  'plan_storage',
  'plan_missing',
  'plan_corrupt',
  'plan_mismatch',
  'storage_url',
  'storage_unreachable',
  'storage_transfer',
  'redis_unreachable',
  'redis_lost',
  'redis_url',
  'chunk_failed',
  // Projects and fonts.
  'unknown_template',
  'not_empty',
  'font_package_missing',
] as const;

/** One of ERROR_CODES. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Whether `value` is one of ERROR_CODES (a code read back from JSON, e.g. a worker's report). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
