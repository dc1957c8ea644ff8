/**
 * puppeteer-core, loaded through its CommonJS build. Every module that needs one of its values
 * (`launch`, the error classes a `catch` tells apart) imports it from here, never from
 * 'puppeteer-core' itself: the ESM and CommonJS builds are separate copies, and an error thrown by one
 * is not an `instanceof` the other's classes. Types may still come from 'puppeteer-core' (both builds
 * share one declaration file).
 *
 * Why CommonJS: Node 20 loads the ESM build's ~125 files through its ESM loader, measured 0.40 s of
 * CPU against 0.22 s for `require` (`node -e`, 2 cores). It is paid at the start of every CLI run,
 * before anything else can happen: a 1 s 160x90 render took 2.42 s of CPU against 2.74 s (whole
 * process, median of 7 paired runs).
 */
import { createRequire } from 'node:module';

type Puppeteer = typeof import('puppeteer-core');

const loaded = createRequire(import.meta.url)('puppeteer-core') as Puppeteer;

/** puppeteer-core's default export: `launch`, `connect`. */
const puppeteer: Puppeteer['default'] = loaded.default;
export default puppeteer;
/** Thrown by a protocol call that failed or passed its `protocolTimeout`. */
export const ProtocolError: Puppeteer['ProtocolError'] = loaded.ProtocolError;
/** Thrown by a wait that passed its timeout (navigation, a launch). */
export const TimeoutError: Puppeteer['TimeoutError'] = loaded.TimeoutError;
