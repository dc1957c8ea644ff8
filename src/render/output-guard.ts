/**
 * What a render may write over. An output replaces only what framesmith made: a previous video file
 * (recognised by its bytes), or a directory output (PNG sequence, HLS) carrying framesmith's marker
 * and nothing but what framesmith writes there. Everything else at the output path — a directory for a file format, a user's directory, a
 * file that is not a video, the project or a directory holding it, any input of the render — is
 * refused with `output_refused` (the CLI's usage error, exit 2) before the render does any work.
 * File system failures around the output (a parent that is a file, a read-only directory, a full
 * disk) become one sentence each naming the path: `output_unwritable`, `disk_full`.
 */
import { open, readdir, realpath, stat, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Composition } from '../composition/model.js';
import { isInsideProject } from '../composition/project-paths.js';
import { ProcessError } from '../media/process.js';
import type { OutputFormat } from '../stages/stage.js';
import { isDirectoryFormat, isDirectoryOutputName } from './formats.js';
import { RenderError } from './errors.js';

/**
 * The file framesmith leaves in a directory output it wrote (a PNG sequence, an HLS playlist
 * directory), so a later render may replace it.
 */
export const SEQUENCE_MARKER = '.framesmith-sequence';

const refused = (output: string, message: string) => new RenderError('output_refused', message, { file: output });

/**
 * `file` with its symlinks resolved as far as it exists (the missing tail appended as written), so two
 * spellings of one place compare equal.
 */
export async function realPath(file: string): Promise<string> {
  const resolved = path.resolve(file);
  const real = await realpath(resolved).catch(() => null);
  if (real) return real;
  const parent = path.dirname(resolved);
  return parent === resolved ? resolved : path.join(await realPath(parent), path.basename(resolved));
}

/**
 * The checks that need no loaded composition, run before any work: `output` is not the project
 * directory of `input` nor holds it, is not the entry file, and what exists there now is something a
 * render may replace (see the module comment). Throws `output_refused`.
 */
export async function checkOutputTarget(output: string, format: OutputFormat, input: string): Promise<void> {
  const target = await realPath(output);
  const source = await realPath(input);
  const inputInfo = await stat(source).catch(() => null);
  // A missing input fails in the load with its own message; what exists at the output is still checked.
  if (!inputInfo) return checkReplaceable(output, format);
  const project = inputInfo.isFile() ? path.dirname(source) : source;
  if (isInsideProject(target, project)) {
    throw refused(
      output,
      `-o ${output} ${target === project ? 'is' : 'contains'} the project directory ${project}: the render would replace it; write the output to a new file or directory, e.g. -o ${path.join(project, 'renders', isDirectoryFormat(format) ? (format === 'hls' ? 'hls' : 'frames') : `out.${format}`)}`,
    );
  }
  const entry = inputInfo.isFile() ? source : path.join(project, 'index.html');
  if (target === entry)
    throw refused(output, `-o ${output} is the composition being rendered: the render would replace it; choose another output path`);
  await checkReplaceable(output, format);
}

/** Throws `output_refused` unless what exists at `output` now (if anything) may be replaced by a `format` output. */
export async function checkReplaceable(output: string, format: OutputFormat): Promise<void> {
  const target = await realPath(output);
  const info = await stat(target).catch(() => null);
  if (!info) return;
  if (isDirectoryFormat(format)) return checkSequenceTarget(output, target, info.isDirectory(), format);
  if (info.isDirectory()) {
    throw refused(
      output,
      `-o ${output} is an existing directory and a ${format} output is a file: name a file, e.g. -o ${path.join(output, `out.${format}`)}`,
    );
  }
  if (!info.isFile() || (info.size > 0 && !(await isVideoFile(target)))) {
    throw refused(
      output,
      `-o ${output} exists and is not a video file: the render would replace it; choose another output path, or remove the file yourself if it can go`,
    );
  }
}

/**
 * A directory output (png, png-sequence, hls) may replace an empty directory, or one framesmith wrote
 * (marked) that holds only what framesmith writes there: frames, a sequence's audio.m4a, HLS playlists
 * and segments.
 */
async function checkSequenceTarget(output: string, target: string, isDirectory: boolean, format: OutputFormat): Promise<void> {
  const what = format === 'hls' ? 'an hls output' : 'a png sequence';
  if (!isDirectory) throw refused(output, `-o ${output} is an existing file and ${what} is a directory: choose a new or empty directory`);
  const names = await readdir(target);
  if (names.length === 0) return;
  const foreign = names.filter((n) => n !== SEQUENCE_MARKER && !isDirectoryOutputName(n));
  if (names.includes(SEQUENCE_MARKER) && foreign.length === 0) return;
  const why = names.includes(SEQUENCE_MARKER)
    ? `holds files framesmith did not write (${foreign.slice(0, 3).join(', ')})`
    : `is a directory framesmith did not write (it holds ${names.length} entr${names.length === 1 ? 'y' : 'ies'}, e.g. ${names[0]})`;
  throw refused(output, `-o ${output} ${why}: ${what} replaces its whole directory; choose a new or empty directory`);
}

/** Whether `file` starts like a video framesmith writes: MP4/MOV (ISO boxes), WebM (EBML) or GIF. */
async function isVideoFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return false;
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await handle.read(head, 0, 12, 0);
    if (bytesRead < 8) return false;
    const box = head.toString('latin1', 4, 8);
    return (
      ['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip'].includes(box) ||
      head.readUInt32BE(0) === 0x1a45dfa3 ||
      head.toString('latin1', 0, 4) === 'GIF8'
    );
  } finally {
    await handle.close();
  }
}

/** The local files a loaded composition reads: the entry, its sub-compositions, its media files. */
export function compositionInputs(composition: Composition): string[] {
  return [
    composition.entryFile,
    ...composition.mounts.map((m) => path.resolve(composition.rootDir, m.file)),
    ...composition.media.filter((m) => !/^[a-z][a-z0-9+.-]*:/i.test(m.src)).map((m) => m.src),
  ];
}

/**
 * Throws `output_refused` when `output` is one of `inputs` (or holds one): the render reads them, and
 * writing the output there would replace them.
 */
export async function refuseInputs(output: string, inputs: Iterable<string>): Promise<void> {
  const target = await realPath(output);
  for (const input of inputs) {
    const real = await realPath(input);
    if (isInsideProject(target, real)) {
      const what = real === target ? 'is a file this render reads' : `holds ${input}, which this render reads`;
      throw refused(output, `-o ${output} ${what}: writing the output there would replace it; choose another output path`);
    }
  }
}

/**
 * A file system failure at `file` (the output, a temporary file next to it, its directory) as one
 * sentence: `output_unwritable` for a missing or refused directory, `disk_full` for no space; other
 * errors are returned as they are.
 */
export function outputFsError(error: unknown, file: string, output: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const dir = path.dirname(file);
  if (code === 'ENOSPC' || code === 'EDQUOT') return diskFull(dir, error);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    const why =
      code === 'EROFS'
        ? 'it is on a read-only file system'
        : 'permission denied (it, or the directory it would be made in, is not writable for this user)';
    return new RenderError(
      'output_unwritable',
      `cannot write the output into ${dir}: ${why}; choose another output path (-o ${output})`,
      { file: dir },
      { cause: error },
    );
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new RenderError(
      'output_unwritable',
      `cannot create the output's directory ${dir}: a part of that path is a file, not a directory; choose another output path (-o ${output})`,
      { file: dir },
      { cause: error },
    );
  }
  if (code === 'ENOENT') {
    return new RenderError(
      'output_unwritable',
      `cannot create the output's directory ${dir}: a part of that path was removed or cannot be made; choose another output path (-o ${output})`,
      { file: dir },
      { cause: error },
    );
  }
  return error;
}

function diskFull(dir: string, cause: unknown): RenderError {
  return new RenderError(
    'disk_full',
    `no space left on the disk holding ${dir}: free some space there, or write the output to another disk (-o)`,
    { file: dir },
    { cause },
  );
}

/** Whether `error` or one of its causes is a full disk: an ENOSPC, or ffmpeg saying so on stderr. */
function isDiskFull(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
    if (e instanceof ProcessError && /No space left on device/.test(e.fields.stderrTail)) return true;
  }
  return false;
}

/**
 * `error` as `disk_full` when it came from a full disk (an encoder's or a file write's), naming the
 * fuller of the output's directory and the temporary directory; else `error` itself.
 */
export async function explainDiskFull(error: unknown, output: string): Promise<unknown> {
  if (!isDiskFull(error)) return error;
  const dirs = [path.dirname(output), os.tmpdir()];
  const free = await Promise.all(
    dirs.map((d) =>
      statfs(d).then(
        (s) => s.bavail * s.bsize,
        () => Number.POSITIVE_INFINITY,
      ),
    ),
  );
  return diskFull(free[1]! < free[0]! ? dirs[1]! : dirs[0]!, error);
}
