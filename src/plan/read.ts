/**
 * Opening a plan on the machine that renders a chunk of it: `plan.json` must hash to the directory's
 * name, be of this schema, list files that are all there at their sizes (a stat each; the content
 * hashes were checked when the plan was frozen, and the directory is never written afterwards), and
 * name the same framesmith and ffmpeg as this machine. The browser is compared once launched
 * (`checkBrowser`).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PlanError } from './errors.js';
import { PLAN_SCHEMA, type RenderPlan } from './types.js';

/** A plan opened and checked by `openPlan()`: its hash, its local directory and its content. */
export interface OpenedPlan {
  hash: string;
  dir: string;
  plan: RenderPlan;
  /** Absolute path of a file named relative to the plan. */
  resolve(rel: string): string;
}

const HASH = /^[0-9a-f]{64}$/;

/**
 * Opens and checks the plan `hash` in the local directory `root` against this machine's `tools`;
 * `storage` names the storage location in messages (the directory itself, or its s3:// URL). With
 * `framesLater`, the video sources (`sources/…`) are not checked here: a chunk fetches a source only
 * when it decodes frames of it, and checks it then with `checkPlanFiles`.
 */
export async function openPlan(
  root: string,
  hash: string,
  tools: RenderPlan['tools'],
  storage = root,
  { framesLater = false } = {},
): Promise<OpenedPlan> {
  if (!HASH.test(hash)) throw new PlanError('plan_missing', `"${hash}" is not a plan hash (64 hex digits)`, { storage, hash });
  const dir = path.join(root, 'plans', hash);
  const json = await readFile(path.join(dir, 'plan.json')).catch((error: unknown) => {
    throw new PlanError(
      'plan_missing',
      `plan ${hash.slice(0, 12)} is not in ${storage}: every worker must use the render's \`storage\`: the same directory path (a shared filesystem), or the same s3:// URL`,
      { storage, hash },
      { cause: error },
    );
  });
  const actual = createHash('sha256').update(json).digest('hex');
  if (actual !== hash)
    throw new PlanError(
      'plan_corrupt',
      `plan ${hash.slice(0, 12)} in ${storage} is damaged: its plan.json hashes to ${actual.slice(0, 12)}; render again to write a fresh plan`,
      { storage, hash },
    );
  const plan = JSON.parse(json.toString('utf8')) as RenderPlan;
  if (plan.schema !== PLAN_SCHEMA) {
    throw new PlanError(
      'plan_mismatch',
      `plan ${hash.slice(0, 12)} is of plan schema ${String(plan.schema)}, this framesmith reads ${PLAN_SCHEMA}: run the same framesmith version on every machine`,
      { storage, hash },
    );
  }
  for (const [tool, mine] of Object.entries(tools) as Array<[keyof RenderPlan['tools'], string]>) {
    if (plan.tools[tool] !== mine) {
      throw new PlanError(
        'plan_mismatch',
        `plan ${hash.slice(0, 12)} was made with ${tool} ${plan.tools[tool]}, this machine has ${mine}: install the same ${tool} on every machine (segments must join and pixels agree)`,
        { storage, hash },
      );
    }
  }
  const resolve = (rel: string) => path.join(dir, ...rel.split('/'));
  const opened = { hash, dir, plan, resolve };
  await checkPlanFiles(
    opened,
    plan.files.map((f) => f.path).filter((p) => !(framesLater && p.startsWith(SOURCES))),
    storage,
  );
  return opened;
}

/** The folder of a plan holding the video sources, which a chunk fetches only to decode them. */
export const SOURCES = 'sources/';

/** Throws `plan_corrupt` unless the files `rels` of the plan are there at their planned sizes. */
export async function checkPlanFiles(opened: OpenedPlan, rels: Iterable<string>, storage: string): Promise<void> {
  const sizes = new Map(opened.plan.files.map((f) => [f.path, f.size]));
  await Promise.all(
    [...rels].map(async (rel) => {
      const expected = sizes.get(rel);
      const size = await stat(opened.resolve(rel)).then(
        (s) => s.size,
        () => -1,
      );
      if (size !== expected) {
        throw new PlanError(
          'plan_corrupt',
          `plan ${opened.hash.slice(0, 12)} in ${storage} is incomplete: ${rel} is ${size < 0 ? 'missing' : `${size} bytes, not ${expected}`}; render again to write a fresh plan`,
          { storage, hash: opened.hash },
        );
      }
    }),
  );
}

/** Throws `plan_mismatch` unless this machine's browser is the planning machine's. */
export function checkBrowser(opened: OpenedPlan, version: string, storage: string): void {
  if (opened.plan.browser.version !== version) {
    throw new PlanError(
      'plan_mismatch',
      `plan ${opened.hash.slice(0, 12)} was captured with ${opened.plan.browser.version}, this machine's browser is ${version}: use the same browser on every machine (the bundled one unless \`browser\` is given)`,
      { storage, hash: opened.hash },
    );
  }
}
