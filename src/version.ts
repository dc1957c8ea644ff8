/** framesmith's own version, from its package.json (the same file from src/ and from dist/). */
import { createRequire } from 'node:module';

/** This package's `version` (semver, as in package.json), read once at import. */
export const FRAMESMITH_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
