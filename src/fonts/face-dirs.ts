/**
 * Face directories in the font directory, each made once and shared by every render that needs it:
 * built in a temporary directory and renamed into place, so concurrent renders never see half of one
 * (the loser of a race takes the winner's). fontconfig.ts fills them with decompressed WOFF2 files;
 * the cut faces (catalog.ts `BundledFamily.cut`, liberation.ts) are made here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BundledFamily } from './catalog.js';
import { cutFont, type WholeFace } from './liberation.js';

/** `dir`, filled by `fill` in a temporary directory renamed into place, the first time. */
export async function installInto(dir: string, fill: (temp: string) => Promise<void>): Promise<string> {
  if (await stat(dir).catch(() => null)) return dir;
  const temp = `${dir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(temp, { recursive: true });
  try {
    await fill(temp);
    await rename(temp, dir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    // Another render installed it first: theirs is as good.
    if (await stat(dir).catch(() => null)) return dir;
    throw error;
  }
  return dir;
}

/** The directory of a cut face (catalog.ts `BundledFamily.cut`) under the font directory `root`. */
export function cutFaceDir(root: string, face: BundledFamily): string {
  // The character set is part of the name: a cut made for another set is never taken for this one.
  const set = createHash('sha256')
    .update(JSON.stringify(face.cut?.charset ?? []))
    .digest('hex')
    .slice(0, 8);
  return path.join(root, 'faces', `${face.id}@${face.version}-${set}`);
}

/** The file name of one face of a cut face, in its directory. */
export const cutFileName = (face: BundledFamily, whole: WholeFace) => `${face.id}-${whole.weight}-${whole.style}.ttf`;

/** A cut face's directory: each whole file cut to the face's characters (liberation.ts), the first time. */
export async function installCut(root: string, face: BundledFamily, cut: NonNullable<BundledFamily['cut']>): Promise<string> {
  const dir = cutFaceDir(root, face);
  return installInto(dir, async (temp) => {
    for (const whole of cut.faces)
      await writeFile(path.join(temp, cutFileName(face, whole)), await cutFont(await readFile(whole.file), cut.charset));
  });
}
