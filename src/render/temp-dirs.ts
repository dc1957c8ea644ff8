/**
 * A render's temporary directories (`framesmith-render-*`, a local planned render's storage, …),
 * removed on every exit path: by the render's own `finally`, and — for an exit that does not unwind,
 * such as the CLI's SIGINT/SIGTERM handler calling `process.exit` — by one `exit` listener that removes
 * whatever is still registered, synchronously (the only kind of work an `exit` listener can do).
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const live = new Set<string>();
let listening = false;

function removeAllNow(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

/** Creates `<os.tmpdir()>/<prefix>XXXXXX`, to be removed by `removeTempDir` or at process exit. */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  live.add(dir);
  if (!listening) {
    process.on('exit', removeAllNow);
    listening = true;
  }
  return dir;
}

/** Removes a directory of `makeTempDir` (never throws) and forgets it. */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => {});
  live.delete(dir);
}
