/**
 * A plan of an older schema (1: frames frozen in the plan) is refused by a chunk with `plan_mismatch`,
 * naming both schemas, before anything of it is read.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PlanError } from '../../src/plan/errors.js';
import { openPlan } from '../../src/plan/read.js';
import { PLAN_SCHEMA } from '../../src/plan/types.js';

let storage: string;
beforeAll(async () => {
  storage = await mkdtemp(path.join(os.tmpdir(), 'fs-plan-schema-'));
});
afterAll(async () => {
  await rm(storage, { recursive: true, force: true });
});

it('a schema 1 plan (frames in the plan) is refused with plan_mismatch', async () => {
  expect(PLAN_SCHEMA).toBe(2);
  const json = `${JSON.stringify({ schema: 1, videos: [{ frames: ['frames/0/000000.jpg'] }], files: [], tools: {} })}\n`;
  const hash = createHash('sha256').update(json).digest('hex');
  await mkdir(path.join(storage, 'plans', hash), { recursive: true });
  await writeFile(path.join(storage, 'plans', hash, 'plan.json'), json);
  const error = await openPlan(storage, hash, { framesmith: 'x', ffmpeg: 'y' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PlanError);
  expect((error as PlanError).code).toBe('plan_mismatch');
  expect((error as PlanError).message).toMatch(/plan schema 1, this framesmith reads 2/);
});
