/**
 * Freezing a plan into storage (layout in types.ts): every file is copied into a private directory
 * `plans/.building-…`, hashed, listed in `plan.json` (written last), and the directory is renamed to
 * `plans/<sha256 of plan.json>`. A plan that already exists under that name has the same content: the
 * copy is dropped and the existing one used. A crash leaves only a `.building-…` directory, which no
 * chunk ever reads. A video source, named by its content hash (`sources/<sha256>.<ext>`), is hard-linked
 * from another plan of the storage that holds it (a re-plan after an edit copies no video), else copied.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import type { ServedAsset } from '../composition/model.js';
import { PlanError } from './errors.js';
import { PLAN_SCHEMA, type PlanFile, type PlannedVideo, type RenderPlan } from './types.js';

/** The parts of a plan freezing copies in, with the rest of the plan as it will be. */
export interface PlanInputs {
  project: {
    rootDir: string;
    entryFile: string;
    /** Files and directories (absolute) not copied: the storage itself, the output. */
    exclude: readonly string[];
  };
  html: string;
  runtime: string;
  routes: readonly ServedAsset[];
  mounts: readonly { prefix: string; dir: string }[];
  /** The videos, each with its source file (absolute): copied in once per content, as `sources/<sha256>.<ext>`. */
  videos: ReadonlyArray<Omit<PlannedVideo, 'source'> & { file: string }>;
  audio: { file: string; codec: 'aac' | 'opus' } | null;
  settings: Omit<RenderPlan, 'schema' | 'files' | 'videos' | 'audio' | 'page' | 'render'> & {
    render: Omit<RenderPlan['render'], 'entry'>;
    page: Omit<RenderPlan['page'], 'html' | 'runtime' | 'routes' | 'mounts'>;
  };
}

/**
 * A plan frozen into storage: its hash (SHA-256 of `plan.json`, hex), its directory `<storage>/plans/<hash>`, its
 * content, and `bytes`: the total size of the files `plan.json` lists (itself not counted).
 */
export interface FrozenPlan {
  hash: string;
  dir: string;
  plan: RenderPlan;
  /** Whether this call wrote it (false: the same plan was already there). */
  written: boolean;
  bytes: number;
}

/** Directories never copied from a project: version control, dependencies. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

/**
 * Audio and video files are not copied: the page can only play them through `<video>`/`<audio>`,
 * which the media stages replace (the plan holds each video's source under `sources/`, and the mix), and a project directory often
 * holds renders and sources that no page reads.
 */
const MEDIA_FILE = /\.(mp4|m4v|mov|webm|mkv|avi|mpe?g|ts|m4a|mp3|wav|aac|ogg|oga|opus|flac)$/i;

/** Freezes `inputs` into `<storage>/plans/<hash>` (see the module comment). */
export async function freezePlan(storage: string, inputs: PlanInputs): Promise<FrozenPlan> {
  const plans = path.join(storage, 'plans');
  await mkdir(plans, { recursive: true }).catch((error: unknown) => {
    throw PlanError.storage(storage, error);
  });
  const building = path.join(plans, `.building-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const copies: Array<{ from: string; to: string; sha256?: string }> = [];
    const targets = new Set<string>();
    /** Copies `from` to `to` (relative to the plan), once per target; `sha256`: its content's, known already. */
    const add = (from: string, to: string, sha256?: string) => {
      if (!targets.has(to)) {
        targets.add(to);
        copies.push({ from, to, ...(sha256 ? { sha256 } : {}) });
      }
      return to;
    };
    await listProject(inputs.project, (file, rel) => add(file, `project/${rel}`));
    const entry = `project/${toPosix(path.relative(inputs.project.rootDir, inputs.project.entryFile))}`;
    const routes = inputs.routes.map((r, i) =>
      'file' in r ? { path: r.path, file: add(r.file, `routes/${i}-${path.basename(r.file)}`) } : { ...r },
    );
    const mounts: RenderPlan['page']['mounts'] = [];
    for (const [i, m] of inputs.mounts.entries()) {
      const dir = `vendor/${i}`;
      await listTree(m.dir, (file, rel) => add(file, `${dir}/${rel}`));
      mounts.push({ prefix: m.prefix, dir });
    }
    const videos: PlannedVideo[] = inputs.videos.map(({ file, ...v }) => {
      const sha256 = v.sourceId.replace(/^sha256:/, '');
      return { ...v, source: add(file, `sources/${sha256}${path.extname(file).toLowerCase()}`, sha256) };
    });
    const audio = inputs.audio
      ? { file: add(inputs.audio.file, `audio${path.extname(inputs.audio.file)}`), codec: inputs.audio.codec }
      : null;

    const texts = [
      { to: 'page/entry.html', text: inputs.html },
      { to: 'page/runtime.js', text: inputs.runtime },
    ];
    const limit = pLimit(8);
    const files: PlanFile[] = await Promise.all([
      ...copies.map((c) =>
        limit(async () => {
          const to = path.join(building, c.to);
          await mkdir(path.dirname(to), { recursive: true });
          if (!c.sha256) {
            await copyFile(c.from, to);
            return describe(to, c.to);
          }
          // A source (large) is not hashed again (its name is its hash): linked from another plan that
          // holds the same content (plans are never written once made), else cloned where the file
          // system can, else copied.
          const other = await sameSourceIn(plans, c.to, (await stat(c.from)).size);
          if (
            !other ||
            !(await link(other, to).then(
              () => true,
              () => false,
            ))
          )
            await copyFile(c.from, to, constants.COPYFILE_FICLONE);
          return { path: c.to, size: (await stat(to)).size, sha256: c.sha256 };
        }),
      ),
      ...texts.map((t) =>
        limit(async () => {
          const to = path.join(building, t.to);
          await mkdir(path.dirname(to), { recursive: true });
          await writeFile(to, t.text);
          return describe(to, t.to);
        }),
      ),
    ]);
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const plan: RenderPlan = {
      schema: PLAN_SCHEMA,
      ...inputs.settings,
      render: { ...inputs.settings.render, entry },
      page: { ...inputs.settings.page, html: 'page/entry.html', runtime: 'page/runtime.js', routes, mounts },
      videos,
      audio,
      files,
    };
    const json = `${JSON.stringify(plan, null, 1)}\n`;
    const hash = createHash('sha256').update(json).digest('hex');
    await writeFile(path.join(building, 'plan.json'), json);
    const dir = path.join(plans, hash);
    const bytes = files.reduce((sum, f) => sum + f.size, 0);
    try {
      await rename(building, dir);
      return { hash, dir, plan, written: true, bytes };
    } catch (error) {
      // The same content is there already (rename onto a non-empty directory fails): use it.
      if (
        await stat(path.join(dir, 'plan.json')).then(
          () => true,
          () => false,
        )
      ) {
        await rm(building, { recursive: true, force: true });
        return { hash, dir, plan, written: false, bytes };
      }
      throw error;
    }
  } catch (error) {
    await rm(building, { recursive: true, force: true }).catch(() => {});
    throw error instanceof PlanError ? error : PlanError.storage(storage, error);
  }
}

/** A file `rel` (a source, named by its hash) of `size` bytes in a complete plan in `plans`, or null: what a new plan links. */
async function sameSourceIn(plans: string, rel: string, size: number): Promise<string | null> {
  const names = await readdir(plans).catch(() => [] as string[]);
  for (const name of names) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const file = path.join(plans, name, ...rel.split('/'));
    if (
      await stat(file).then(
        (st) => st.isFile() && st.size === size,
        () => false,
      )
    )
      return file;
  }
  return null;
}

async function describe(file: string, rel: string): Promise<PlanFile> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { path: rel, size, sha256: hash.digest('hex') };
}

/** Every file of the project but the excluded ones, media files, `.git` and `node_modules`: what a plan copies. */
export async function listProject(
  project: Pick<PlanInputs['project'], 'rootDir' | 'exclude'>,
  found: (file: string, rel: string) => void,
): Promise<void> {
  const excluded = new Set(await Promise.all(project.exclude.map((p) => realpath(p).catch(() => path.resolve(p)))));
  await listTree(
    project.rootDir,
    found,
    (real, name, isDir) => excluded.has(real) || (isDir ? SKIPPED_DIRS.has(name) : MEDIA_FILE.test(name)),
  );
}

/** Every regular file under `root` (symlinks followed, each real directory once), `rel` `/`-separated. */
async function listTree(
  root: string,
  found: (file: string, rel: string) => void,
  skip: (real: string, name: string, isDir: boolean) => boolean = () => false,
): Promise<void> {
  const seen = new Set<string>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    const real = await realpath(dir);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      const info = entry.isSymbolicLink() ? await stat(file).catch(() => null) : entry;
      if (!info) continue;
      const isDir = info.isDirectory();
      if (skip(await realpath(file).catch(() => file), entry.name, isDir)) continue;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (isDir) await walk(file, childRel);
      else if (info.isFile()) found(file, childRel);
    }
  };
  await walk(root, '');
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
