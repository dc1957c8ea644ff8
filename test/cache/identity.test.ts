/**
 * Source identity on real files: content-based (a copy elsewhere matches, one changed byte does not),
 * streamed, and memoised by (dev, inode, size, mtime) persistently, proven in a fresh process.
 */
import { copyFile, open, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearIdentityMemory, identityStats, sourceIdentity } from '../../src/cache/identity.js';
import { CacheError } from '../../src/cache/errors.js';
import { buildForChildren, removeBuild, runScript, tempDir } from './helpers.js';

let dir: string;
let build: string;

beforeAll(async () => {
  dir = await tempDir('fs-identity-');
  build = await buildForChildren();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await removeBuild(build);
});

/** 3 MiB of bytes that differ everywhere (more than one read chunk, so streaming is exercised). */
function sampleBytes(): Buffer {
  const data = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
  return data;
}

describe('sourceIdentity', () => {
  it('is the SHA-256 of the bytes; a copy at another path has the same identity', async () => {
    const data = sampleBytes();
    const a = path.join(dir, 'a.mp4');
    await writeFile(a, data);
    const b = path.join(dir, 'sub-copy.mp4');
    await copyFile(a, b);
    const idA = await sourceIdentity(a);
    expect(idA).toBe(`sha256:${createHash('sha256').update(data).digest('hex')}`);
    expect(await sourceIdentity(b)).toBe(idA);
  });

  it('changes when one byte changes (mtime moves as any writer moves it)', async () => {
    const data = sampleBytes();
    const file = path.join(dir, 'changed.mp4');
    await writeFile(file, data);
    const before = await sourceIdentity(file);
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from([data[2_000_000]! ^ 1]), 0, 1, 2_000_000);
    await handle.close();
    const s = await stat(file);
    await utimes(file, s.atime, new Date(s.mtimeMs + 5_000));
    expect(await sourceIdentity(file)).not.toBe(before);
  });

  it('memoises by (dev, inode, size, mtime): same-size rewrite with restored mtime keeps the old identity, also in a new process', async () => {
    const memoDir = await tempDir('fs-memo-');
    const file = path.join(dir, 'memo.mp4');
    await writeFile(file, Buffer.from('original content 0123456789'));
    // Whole seconds, so restoring the time below is exact to the nanosecond.
    const stamp = 1_700_000_000;
    await utimes(file, stamp, stamp);
    const original = await sourceIdentity(file, { memoDir });
    // Rewrite in place (same inode), same size, then put the mtime back: the documented trade-off.
    await writeFile(file, Buffer.from('REPLACED content 0123456789'));
    await utimes(file, stamp, stamp);
    const hashedBefore = identityStats.filesHashed;
    expect(await sourceIdentity(file, { memoDir })).toBe(original);
    expect(identityStats.filesHashed).toBe(hashedBefore);

    // A fresh process has no memory memo: it must use sources.json and read nothing.
    const script = path.join(memoDir, 'identity-child.mjs');
    await writeFile(
      script,
      `
      const { sourceIdentity, identityStats } = await import(${JSON.stringify(path.join(build, 'cache', 'identity.js'))});
      const id = await sourceIdentity(process.argv[2], { memoDir: process.argv[3] });
      console.log(JSON.stringify({ id, hashed: identityStats.filesHashed }));
    `,
    );
    const child = runScript(script, [file, memoDir]);
    const line = await child.waitFor(/^\{/);
    expect(JSON.parse(line)).toEqual({ id: original, hashed: 0 });
    expect((await child.exited).code).toBe(0);

    // Without the persisted memo, the same fresh start reads the file and sees the new content.
    clearIdentityMemory();
    const fresh = await sourceIdentity(file);
    expect(fresh).not.toBe(original);
    expect(fresh).toBe(`sha256:${createHash('sha256').update('REPLACED content 0123456789').digest('hex')}`);
    await rm(memoDir, { recursive: true, force: true });
  });

  it('names the missing file in a typed error', async () => {
    const missing = path.join(dir, 'nope.mp4');
    await expect(sourceIdentity(missing)).rejects.toBeInstanceOf(CacheError);
    await expect(sourceIdentity(missing)).rejects.toThrow(missing);
  });
});
